/**
 * MooseStack's `schedule` strings, pure: how a schedule reads in the plan ("every day at 02:00"),
 * whether moose-ts can hand it to Temporal, and the Temporal ScheduleSpec it becomes.
 *
 * Accepted: a five-field cron expression (`0 2 * * *`, `*\/5 * * * *`, `30 9 * * 1-5`), the
 * predefined `@yearly @annually @monthly @weekly @daily @midnight @hourly`, and `@every <duration>`
 * (`@every 1h`, `@every 30s`, `@every 90m`: one number and unit). Times are UTC, as Temporal's.
 */

const PREDEFINED: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** One number and unit, as the Temporal client's duration parser (`ms`) reads it. */
const DURATION = /^\d+(ms|s|m|h|d)$/;

/** The parts of a cron field: `*`, `*\/n`, `a`, `a-b`, `a-b/n`, lists of those. */
const FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;

export type ParsedSchedule = { kind: "every"; every: string } | { kind: "cron"; cron: string };

/** The schedule as Temporal takes it, or a reason it is not one moose-ts understands. */
export function parseSchedule(schedule: string): ParsedSchedule | { error: string } {
  const text = schedule.trim();
  if (text.startsWith("@every")) {
    const every = text.slice("@every".length).trim();
    return DURATION.test(every) ? { kind: "every", every } : { error: `"${schedule}": @every needs one number and unit, such as 30s, 5m, 90m, 1h, 1d` };
  }
  if (text.startsWith("@")) {
    const cron = PREDEFINED[text.toLowerCase()];
    return cron ? { kind: "cron", cron } : { error: `"${schedule}": unknown shorthand (use ${Object.keys(PREDEFINED).join(", ")} or @every <duration>)` };
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 5 || !fields.every((field) => FIELD.test(field))) {
    return { error: `"${schedule}" is not a five-field cron expression (minute hour day-of-month month day-of-week), a shorthand such as @daily, or @every <duration>` };
  }
  return { kind: "cron", cron: fields.join(" ") };
}

function pad(value: string): string {
  return value.padStart(2, "0");
}

/** "every day at 02:00", "every 5 minutes", "every Monday at 09:30"; the cron itself when unusual. */
export function describeSchedule(schedule: string): string {
  const parsed = parseSchedule(schedule);
  if ("error" in parsed) return `schedule ${schedule}`;
  if (parsed.kind === "every") return `every ${parsed.every}`;
  const [minute, hour, dayOfMonth, month, dayOfWeek] = parsed.cron.split(" ") as [string, string, string, string, string];
  const number = /^\d+$/;
  const step = /^\*\/(\d+)$/;
  const at = number.test(minute) && number.test(hour) ? `at ${pad(hour)}:${pad(minute)}` : undefined;
  if (dayOfMonth === "*" && month === "*" && dayOfWeek === "*") {
    if (at) return `every day ${at}`;
    if (number.test(minute) && hour === "*") return minute === "0" ? "every hour" : `every hour at minute ${minute}`;
    const minutes = step.exec(minute);
    if (minutes && hour === "*") return minutes[1] === "1" ? "every minute" : `every ${minutes[1]} minutes`;
    if (minute === "*" && hour === "*") return "every minute";
    const hours = step.exec(hour);
    if (hours && number.test(minute)) return `every ${hours[1]} hours at minute ${minute}`;
  }
  if (at && dayOfMonth === "*" && month === "*" && number.test(dayOfWeek) && Number(dayOfWeek) <= 7) return `every ${DAYS[Number(dayOfWeek) % 7]} ${at}`;
  if (at && dayOfMonth === "*" && month === "*" && dayOfWeek === "1-5") return `every weekday ${at}`;
  if (at && number.test(dayOfMonth) && month === "*" && dayOfWeek === "*") return `on day ${dayOfMonth} of every month ${at}`;
  return `cron ${parsed.cron}`;
}
