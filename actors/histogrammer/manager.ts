/**
 * The run manager: the part of the histogrammer on the main thread, next to the supervisors, because it starts and
 * stops children (as the file writer's job manager does). On the command actor's notices it starts one subtree per
 * input of a `config` under `runs` (after finishing the previous config's, as just-bin-it does), passes
 * `reset_counts` to every binner, and finishes them all on `stop`. It creates missing output topics first; a run whose
 * input topic does not exist only publishes its histograms once with state ERROR (as just-bin-it does). It keeps the
 * positions of each binner's resets, and hands them back when a binner restarts, so a restart does not count again what
 * a reset removed.
 *
 * @module
 */
import type { Position } from "../../protocols/broker.ts";
import type { BinnerConfig, BinnerProtocol, ControlProtocol, RunPlan } from "../../protocols/histogrammer.ts";
import type { Log } from "../common/log.ts";
import { BrokerAdmin } from "../broker/admin.ts";
import type { ActorSystem } from "../runtime/system.ts";
import { runChildId, runTree } from "./tree.ts";

/** Runs the histograms of one histogrammer subtree; see the module doc. */
export class RunManager {
  /** child ids of the running inputs. */
  readonly #runs = new Set<string>();
  readonly #resetAt = new Map<string, Position[]>();
  #chain: Promise<void> = Promise.resolve();
  /** configs started so far, for the subtree ids. */
  #seq = 0;

  /** @param base the histogrammer subtree's path, e.g. `root/histogrammer`. */
  constructor(readonly system: ActorSystem, readonly base: string, readonly log: Log) {
    system.ref<ControlProtocol>(`${base}/control`).onEmit((m) => {
      if (m.type === "log") return this.log(m.level, `${base}/control`, m.message);
      this.#chain = this.#chain.then(() => this.#act(m)).catch((error) =>
        this.log("error", `${base}/runs`, `cannot ${m.type}: ${(error as Error).message}`)
      );
    });
  }

  /** The child ids of the running inputs. */
  get running(): string[] {
    return [...this.#runs];
  }

  async #act(m: Exclude<ControlProtocol["out"], { type: "log" }>): Promise<void> {
    if (m.type === "reset") {
      for (const id of this.#runs) {
        try {
          this.#binner(id).send({ type: "reset" });
        } catch (error) {
          this.log("warn", `${this.base}/runs/${id}`, `cannot reset: ${(error as Error).message}`);
        }
      }
      return;
    }
    await this.#finishAll();
    if (m.type === "run") await this.#start(m.plan);
  }

  #binner(id: string) {
    return this.system.ref<BinnerProtocol>(`${this.base}/runs/${id}/binner`);
  }

  async #start(plan: RunPlan): Promise<void> {
    const runs = this.system.supervisor(`${this.base}/runs`);
    const seq = ++this.#seq;
    for (let [i, binner] of plan.binners.entries()) {
      const id = runChildId(seq, i);
      const { missing, partitions } = await this.#prepareTopics(binner);
      binner = { ...binner, partitions };
      if (missing.length) {
        binner = {
          ...binner,
          error: `Cannot read ${missing.join(", ")}: no such topic on ${binner.connection.brokers}`,
        };
        this.log("error", `${this.base}/runs/${id}`, binner.error!);
      }
      await runs.startChild(runTree(id, binner));
      this.#runs.add(id);
      const ref = this.#binner(id);
      ref.onEmit((m) => {
        if (m.type === "hello") ref.send({ type: "restore", resetAt: this.#resetAt.get(id) ?? [] });
        else if (m.type === "resetAt") this.#resetAt.set(id, m.positions);
        else if (m.type === "log") this.log(m.level, ref.path, m.message);
        else this.#chain = this.#chain.then(() => this.#remove(id));
      });
      if (binner.error !== undefined) {
        // it published its ERROR messages at start: remove the run once Kafka has them
        await ref.request("finish", null, { timeoutMs: 10_000 }).catch(() => {});
        await this.#remove(id);
        continue;
      }
      // its first hello came before this listener: answer it now (a second restore is harmless)
      ref.send({ type: "restore", resetAt: [] });
      this.log("info", ref.path, `counting ${binner.histograms.map((h) => h.id || h.type).join(", ")}`);
    }
  }

  /** Creates the missing output topics; returns the input topics that do not exist, and the partitions of the rest. */
  async #prepareTopics(binner: BinnerConfig) {
    const admin = await BrokerAdmin.connect(binner.connection);
    try {
      await admin.createTopics([...new Set(binner.histograms.map((h) => h.topic))].map((topic) => ({ topic })));
      const inputs = [...new Set(binner.histograms.flatMap((h) => h.dataTopics))];
      const exists = await Promise.all(inputs.map((t) => admin.topicExists(t)));
      const partitions = [];
      for (const topic of inputs.filter((_, i) => exists[i])) {
        for (const { partition } of await admin.partitions(topic)) partitions.push({ topic, partition });
      }
      return { missing: inputs.filter((_, i) => !exists[i]), partitions };
    } finally {
      await admin.close();
    }
  }

  /** Publishes the final histograms of every run and removes them (also runs whose subtree already gave up). */
  async #finishAll(): Promise<void> {
    await Promise.all([...this.#runs].map(async (id) => {
      try {
        await this.#binner(id).request("finish", null, { timeoutMs: 10_000 });
      } catch (error) {
        this.log("warn", `${this.base}/runs/${id}`, `no final histograms: ${(error as Error).message}`);
      }
      await this.#remove(id);
    }));
  }

  async #remove(id: string): Promise<void> {
    if (!this.#runs.delete(id)) return;
    this.#resetAt.delete(id);
    await this.system.supervisor(`${this.base}/runs`).stopChild(id).catch(() => false);
  }
}
