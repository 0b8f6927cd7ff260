/**
 * The one registry every SDK constructor adds itself to. It lives on globalThis under a
 * Symbol.for key so that every copy of the SDK in a process (the CLI's own, and the one bundled
 * into the user's app by `moose build` / loadApp) shares it: loadApp returns exactly what the
 * app registered.
 */
import { MooseError, type SourceLocation } from "../errors.js";
import { RESERVED_NAMES, type ComponentKind } from "../manifest/types.js";
import { formatSource } from "./source.js";

export interface Component {
  readonly componentKind: ComponentKind;
  /** The manifest id: table/topic name (`Name_1_0` when versioned) or API path. */
  readonly id: string;
  readonly source: SourceLocation;
}

const KIND_LABELS: Record<ComponentKind, string> = {
  tables: "OLAP table",
  streams: "stream",
  views: "view",
  materializedViews: "materialized view",
  apis: "API",
  ingestApis: "ingest API",
  workflows: "workflow",
  processes: "process",
  sqlResources: "SQL resource",
};

/** Something the app asked for that moose-ts accepts but does not do: printed as a build warning. */
export interface Notice {
  message: string;
  source: SourceLocation;
}

/**
 * Where `moose dev` names the app module whose top level is running (src/extract/dev-modules.ts sets
 * it first thing in each module it emits): what a module registers through a helper defined in
 * another file (`makeTable("A")` in metrics.ts, `new OlapTable` in factory.ts) is that module's too.
 */
export const EVALUATING_MODULE = Symbol.for("moose-ts.evaluating-module");

export function evaluatingModule(): string | undefined {
  return (globalThis as { [EVALUATING_MODULE]?: string })[EVALUATING_MODULE];
}

/** A component other modules add parts to (a stream's transforms and consumers): what a module added goes when it runs again. */
export interface AddsFromOtherModules {
  forgetAddedBy(files: ReadonlySet<string>): void;
}

/** The registry's contents at one moment (Registry.snapshot). */
export interface RegistrySnapshot {
  readonly byKind: ReadonlyMap<ComponentKind, ReadonlyMap<string, Component>>;
  readonly notices: ReadonlyMap<string, Notice>;
  readonly others: ReadonlyMap<string, ReadonlyMap<string, { value: unknown; source: SourceLocation }>>;
}

export class Registry {
  private readonly byKind = new Map<ComponentKind, Map<string, Component>>();
  private readonly noticesByKey = new Map<string, Notice>();
  /** Objects that are not manifest components (WebApp), by kind then name: for getWebApps() and friends. */
  private readonly others = new Map<string, Map<string, { value: unknown; source: SourceLocation }>>();
  /** The module whose top level registered a component, other object or notice, when it is not the file the source names. */
  private readonly owners = new WeakMap<object, string>();

  register(component: Component): void {
    if (RESERVED_NAMES.includes(component.id)) {
      throw new MooseError("INVALID_NAME", `${KIND_LABELS[component.componentKind]} "${component.id}": this name cannot be used (a property every JavaScript object has, which a manifest cannot tell from no component)`, {
        location: component.source,
        hint: "give it another name",
        details: { kind: component.componentKind, id: component.id },
      });
    }
    const components = this.components(component.componentKind);
    const existing = components.get(component.id);
    if (existing) {
      const label = KIND_LABELS[component.componentKind];
      throw new MooseError(
        "DUPLICATE_COMPONENT",
        `${label} "${component.id}" is defined twice: at ${formatSource(existing.source)} and at ${formatSource(component.source)}`,
        {
          location: component.source,
          hint: `give one of them another name${component.componentKind === "tables" || component.componentKind === "streams" ? " or a different version" : ""}`,
          details: { kind: component.componentKind, id: component.id, first: existing.source, second: component.source },
        },
      );
    }
    components.set(component.id, component);
    this.own(component, component.source);
  }

  /** Registered components of one kind, in registration order. */
  list<C extends Component = Component>(kind: ComponentKind): C[] {
    return [...this.components(kind).values()] as C[];
  }

  get<C extends Component = Component>(kind: ComponentKind, id: string): C | undefined {
    return this.byKind.get(kind)?.get(id) as C | undefined;
  }

  clear(): void {
    this.byKind.clear();
    this.noticesByKey.clear();
    this.others.clear();
  }

  notice(message: string, source: SourceLocation): void {
    const notice = { message, source };
    this.noticesByKey.set(`${source.file}:${source.line}\0${message}`, notice);
    this.own(notice, source);
  }

  private own(registered: object, source: SourceLocation): void {
    const owner = evaluatingModule();
    if (owner !== undefined && owner !== source.file) this.owners.set(registered, owner);
  }

  /** Registered by one of `files`: declared there, or by a helper its top level called. */
  private isFrom(registered: object, source: SourceLocation, files: ReadonlySet<string>): boolean {
    const owner = this.owners.get(registered);
    return files.has(source.file) || (owner !== undefined && files.has(owner));
  }

  noticeList(): Notice[] {
    return [...this.noticesByKey.values()];
  }

  /** Registers an object that has no manifest entry (a WebApp); a second one of the same name is refused. */
  registerOther(kind: string, name: string, value: unknown, source: SourceLocation): void {
    let values = this.others.get(kind);
    if (!values) this.others.set(kind, (values = new Map()));
    const existing = values.get(name);
    if (existing) {
      throw new MooseError("DUPLICATE_COMPONENT", `${kind} "${name}" is defined twice: at ${formatSource(existing.source)} and at ${formatSource(source)}`, {
        location: source,
        hint: "give one of them another name",
      });
    }
    const entry = { value, source };
    values.set(name, entry);
    this.own(entry, source);
  }

  listOther<V>(kind: string): Map<string, V> {
    return new Map([...(this.others.get(kind) ?? new Map()).entries()].map(([name, entry]) => [name, entry.value as V]));
  }

  /** Forgets what the given files registered (they are about to run again, or are gone). */
  forgetSources(files: ReadonlySet<string>): void {
    for (const components of this.byKind.values()) {
      for (const [id, component] of components) if (this.isFrom(component, component.source, files)) components.delete(id);
    }
    for (const values of this.others.values()) {
      for (const [name, entry] of values) if (this.isFrom(entry, entry.source, files)) values.delete(name);
    }
    for (const [key, notice] of this.noticesByKey) if (this.isFrom(notice, notice.source, files)) this.noticesByKey.delete(key);
    // What those files added to components they did not define (a transform added to another file's stream).
    for (const components of this.byKind.values()) {
      for (const component of components.values()) (component as Partial<AddsFromOtherModules>).forgetAddedBy?.(files);
    }
  }

  /** What is registered now, to put back with `restore` (a copy: later changes do not reach it). */
  snapshot(): RegistrySnapshot {
    const copy = <K, V>(map: Map<K, Map<string, V>>) => new Map([...map].map(([key, inner]) => [key, new Map(inner)]));
    return { byKind: copy(this.byKind), notices: new Map(this.noticesByKey), others: copy(this.others) };
  }

  restore(snapshot: RegistrySnapshot): void {
    this.clear();
    for (const [kind, components] of snapshot.byKind) this.byKind.set(kind, new Map(components));
    for (const [key, notice] of snapshot.notices) this.noticesByKey.set(key, notice);
    for (const [kind, values] of snapshot.others) this.others.set(kind, new Map(values));
  }

  private components(kind: ComponentKind): Map<string, Component> {
    let components = this.byKind.get(kind);
    if (!components) this.byKind.set(kind, (components = new Map()));
    return components;
  }
}

const REGISTRY_KEY = Symbol.for("moose-ts.registry");

export function getRegistry(): Registry {
  const holder = globalThis as { [REGISTRY_KEY]?: Registry };
  return (holder[REGISTRY_KEY] ??= new Registry());
}
