import { OlapTable, Key } from "moose-ts";

export enum Status {
  Active = 1,
  Suspended = 2,
  Deleted = 10,
}

enum Color {
  Red = "red",
  Green = "green",
  Blue = "blue",
}

enum Wide {
  Small = -200,
  Large = 30000,
}

enum Implicit {
  First,
  Second,
  Third,
}

// As `moose db pull` writes enums: names quoted, one of them not an identifier.
enum Housing {
  "detached" = 1,
  "semi-detached" = 2,
  'it\'s' = 3,
}

type Plan = "free" | "pro" | "enterprise";

interface Unions {
  id: Key<string>;
  plan: Plan;
  inline: "on" | "off";
  single: "only";
  status: Status;
  color: Color;
  wide: Wide;
  implicit: Implicit;
  housing: Housing;
  enabled: boolean;
  onlyTrue: true;
  statuses: Status[];
}

export const unions = new OlapTable<Unions>("Unions");
