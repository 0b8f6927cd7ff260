import { Stream } from "moose-ts";

interface Message {
  id: string;
  items: unknown[];
}

export const messages = new Stream<Message>("Messages");
