/**
 * Stream processes as planned infrastructure, end to end with the built CLI (`npm run build`
 * first): an IngestPipeline and a transform → `moose plan` shows the Sync and Function processes,
 * `moose migrate generate` records them as notes, the plan is then empty (the snapshot round-trips
 * them), editing the transform's body plans `~ … (Function Process)`, and `moose ls` lists them.
 * Nothing here needs Kafka: planning never touches the broker.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Project } from "./scenarios/project.js";

const APP = `import { IngestPipeline, Stream } from "moose-ts";

interface UserEvent {
  id: string;
  name: string;
  email: string;
}

export const userEvents = new IngestPipeline<UserEvent>("UserEvents", { table: true, stream: true, ingestApi: true, deadLetterQueue: true });
export const enriched = new Stream<UserEvent>("Enriched");

userEvents.stream!.addTransform(enriched, (event) => ({ ...event, email: event.email.toLowerCase() }), {
  deadLetterQueue: userEvents.deadLetterQueue,
});
`;

let project: Project;

beforeAll(async () => {
  project = Project.copy("quickstart");
  await project.write("app/index.ts", APP);
});
afterAll(() => project?.remove());

describe("stream processes in plans and migrations", () => {
  it("moose plan shows the sync and the transform as processes after their topics", async () => {
    const plan = await project.moose(["plan"]);
    expect(plan.code, plan.stderr).toBe(0);
    const lines = plan.stdout.split("\n");
    const sync = lines.indexOf("  + UserEvents -> UserEvents (Sync Process)");
    const transform = lines.indexOf("  + UserEvents -> Enriched (Function Process)");
    expect(sync, plan.stdout).toBeGreaterThan(lines.indexOf("  + UserEvents (Streaming Topic)"));
    expect(transform, plan.stdout).toBeGreaterThan(lines.indexOf("  + Enriched (Streaming Topic)"));

    const json = JSON.parse((await project.moose(["plan", "--json"])).stdout) as { components: Array<{ kind: string; label: string; name: string }> };
    expect(json.components.filter((component) => component.kind === "process").map((component) => [component.label, component.name])).toEqual([
      ["Sync Process", "UserEvents -> UserEvents"],
      ["Function Process", "UserEvents -> Enriched"],
    ]);
  });

  it("moose migrate generate records them as notes, and the next plan has no changes", async () => {
    const generate = await project.moose(["migrate", "generate", "--name", "initial"]);
    expect(generate.code, generate.stderr).toBe(0);
    const [file] = project.migrationFiles();
    const text = await project.read(`migrations/${file}`);
    expect(text).toContain("[safe] add sync process UserEvents -> UserEvents");
    expect(text).toContain('note: "sync process UserEvents -> UserEvents (sync:UserEvents->UserEvents) added"');
    expect(text).toContain('note: "transform process UserEvents -> Enriched (transform:UserEvents->Enriched) added"');
    const snapshot = JSON.parse(await project.read("migrations/snapshot.json")) as { processes: Record<string, { deadLetterQueue?: string }> };
    expect(snapshot.processes["transform:UserEvents->Enriched"]!.deadLetterQueue).toBe("UserEventsDeadLetterQueue");

    const again = await project.moose(["plan"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe("No changes.\n");
  });

  it("editing the transform's body plans an update of the Function Process, and nothing else", async () => {
    await project.edit("app/index.ts", "event.email.toLowerCase()", "event.email.trim().toLowerCase()");
    const plan = await project.moose(["plan"]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/🔄 Modified Components\n {2}~ UserEvents -> Enriched \(Function Process\)\n {6}~ code [0-9a-f]{8} → [0-9a-f]{8}\n/);
    expect(plan.stdout).not.toContain("✨ New Components");
    expect(plan.stdout).not.toContain("❌ Removed Components");

    const generate = await project.moose(["migrate", "generate", "--name", "trim-emails"]);
    expect(generate.code, generate.stderr).toBe(0);
    const text = await project.read(`migrations/${project.migrationFiles().at(-1)}`);
    expect(text).toMatch(/\[safe\] update transform process UserEvents -> Enriched: code [0-9a-f]{8} → [0-9a-f]{8}/);
  });

  it("moose ls lists the processes with what they read and write", async () => {
    const ls = await project.moose(["ls", "--type", "process", "--json"]);
    expect(ls.code, ls.stderr).toBe(0);
    const items = JSON.parse(ls.stdout) as Array<{ id: string; location: string }>;
    expect(items.map((item) => item.id)).toEqual(["sync:UserEvents->UserEvents", "transform:UserEvents->Enriched"]);
    expect(items[1]!.location).toMatch(/^UserEvents -> Enriched \(code [0-9a-f]{8}\)$/);
  });
});
