import { MooseError, type SourceLocation } from "../errors.js";
import type { JsonSchema, TaskSpec, WorkflowSpec } from "../manifest/types.js";
import { sourceOf } from "./component.js";
import { findMetadata, readMetadata, type InjectedArgument } from "./metadata.js";
import { getRegistry, type Component } from "./registry.js";
import { formatSource } from "./source.js";

export type TaskContext<TInput> = TInput extends null ? { state: any; input?: null } : { state: any; input: TInput };

export interface TaskConfig<T, R> {
  run: (context: TaskContext<T>) => Promise<R>;
  onComplete?: Array<Task<R extends void ? null : R, any>>;
  onCancel?: (context: TaskContext<T>) => Promise<void>;
  timeout?: string;
  retries?: number;
}

export class Task<T, R> {
  readonly kind = "Task" as const;
  readonly name: string;
  readonly config: TaskConfig<T, R>;
  readonly source: SourceLocation;
  /** JSON Schema of the task input T. */
  readonly inputSchema: JsonSchema;

  /** @param injected added by the moose-ts build plugin; never pass it yourself. */
  constructor(name: string, config: TaskConfig<T, R>, injected?: InjectedArgument) {
    const metadata = readMetadata(injected);
    this.name = name;
    this.config = config;
    this.source = sourceOf(metadata);
    this.inputSchema = metadata?.schema ?? {};
  }
}

export interface WorkflowConfig {
  startingTask: Task<any, any>;
  retries?: number;
  timeout?: string;
  schedule?: string;
}

export class Workflow implements Component {
  readonly kind = "Workflow" as const;
  readonly componentKind = "workflows" as const;
  readonly name: string;
  readonly id: string;
  readonly config: WorkflowConfig;
  readonly source: SourceLocation;

  constructor(name: string, config: WorkflowConfig, ...injected: unknown[]) {
    this.name = name;
    this.id = name;
    this.config = config;
    this.source = sourceOf(findMetadata(injected));
    getRegistry().register(this);
  }

  /** Every task reachable from startingTask, each once, in breadth-first order. */
  tasks(): Task<any, any>[] {
    const seen = new Map<string, Task<any, any>>();
    const queue = [this.config.startingTask];
    while (queue.length > 0) {
      const task = queue.shift() as Task<any, any>;
      const known = seen.get(task.name);
      if (known === task) continue;
      if (known) {
        throw new MooseError("DUPLICATE_COMPONENT", `workflow "${this.name}" has two different tasks named "${task.name}": at ${formatSource(known.source)} and at ${formatSource(task.source)}`, {
          location: task.source,
          hint: "give every task of a workflow its own name",
        });
      }
      seen.set(task.name, task);
      queue.push(...(task.config.onComplete ?? []));
    }
    return [...seen.values()];
  }

  toSpec(): WorkflowSpec {
    const tasks: TaskSpec[] = this.tasks().map((task) => ({
      name: task.name,
      ...(task.config.timeout !== undefined ? { timeout: task.config.timeout } : {}),
      ...(task.config.retries !== undefined ? { retries: task.config.retries } : {}),
      onComplete: (task.config.onComplete ?? []).map((next) => next.name),
    }));
    return {
      name: this.name,
      // A blank schedule is none (`schedule: ""` in MooseStack projects), not a cron expression to refuse.
      ...(this.config.schedule !== undefined && this.config.schedule.trim() !== "" ? { schedule: this.config.schedule } : {}),
      ...(this.config.retries !== undefined ? { retries: this.config.retries } : {}),
      ...(this.config.timeout !== undefined ? { timeout: this.config.timeout } : {}),
      tasks,
      source: this.source,
    };
  }
}
