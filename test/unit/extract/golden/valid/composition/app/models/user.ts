import type { Entity, Versioned, Wrapped } from "./base.js";

export type Email = string;

export interface User extends Entity, Versioned {
  email: Email;
  name: Wrapped<string>;
}

export type UserWithScore = User & { score: number };

export interface Page<T> {
  rows: T[];
  total: number;
}
