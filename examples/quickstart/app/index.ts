import { OlapTable, Stream } from "moose-ts";

interface UserSchema {
  id: string;
  name: string;
  email: string;
}

export const usersTable = new OlapTable<UserSchema>("Users");
export const userEvents = new Stream<UserSchema>("UserEvents");
