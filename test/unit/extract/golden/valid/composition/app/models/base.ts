import type { Key, Int32 } from "moose-ts";

/** Fields every entity has. */
export interface Entity {
  id: Key<string>;
  createdAt: Date;
}

export interface Versioned {
  revision: Int32;
}

export type Wrapped<T> = {
  value: T;
  previous?: T;
};
