import { OlapTable, Stream } from "moose-ts";
import type { Page, User, UserWithScore } from "./models/user.js";

interface Override extends User {
  /** Redeclared in the child: keeps its parent's position. */
  email: string;
  extra: boolean;
}

type Picked = Pick<User, "id" | "email">;
type Partialized = Partial<Pick<User, "email" | "revision">> & { id: string };

export const users = new OlapTable<User>("Users");
export const scored = new OlapTable<UserWithScore>("Scored");
export const overridden = new OlapTable<Override>("Overridden");
export const picked = new OlapTable<Picked>("Picked");
export const partialized = new OlapTable<Partialized>("Partialized");
export const pages = new Stream<Page<User>>("Pages");
