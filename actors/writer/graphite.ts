/**
 * The file writer's Graphite output (setting `graphite`, flag `--graphite`), like the EFU's and the forwarder's,
 * through the shared `actors/common/graphite.ts`: every 10 s the stats of the command handler and of each running
 * job's file writer, named `nxflow.writer.<serviceId>.handler.<counter>` and
 * `nxflow.writer.<serviceId>.jobs.<job>.<counter>` (odd characters of the service and job ids become `_`).
 *
 * @module
 */
import type { ActorSnapshot, SupervisorSnapshot } from "../../protocols/supervision.ts";
import type { StatsProtocol } from "../../protocols/admin.ts";
import type { Log } from "../common/log.ts";
import { type Graphite, type Metric, metricSegment, numericMetrics, startGraphite } from "../common/graphite.ts";
import type { ActorSystem } from "../runtime/system.ts";

/** The writer actors whose stats go to Graphite, with their metric name below the service: handler, jobs.<job>. */
export function writerMetricActors(root: SupervisorSnapshot): [path: string, name: string][] {
  const found: [string, string][] = [];
  const walk = (node: SupervisorSnapshot | ActorSnapshot) => {
    if (node.kind === "supervisor") node.children.forEach(walk);
    else if (node.state !== "running") return;
    else if (node.path.endsWith("/writer/handler")) found.push([node.path, "handler"]);
    else if (node.module.endsWith("/file_writer.ts")) {
      const job = /\/jobs\/([^/]+)\//.exec(node.path)?.[1] ?? node.id;
      found.push([node.path, `jobs.${metricSegment(job)}`]);
    }
  };
  walk(root);
  return found;
}

/**
 * Starts sending the writer's stats to Carbon at `address` every `intervalMs` (an actor that does not answer within
 * 2 s is left out of that round).
 *
 * @throws {TypeError} for an address that is not `host:port`.
 */
export function writerGraphite(
  system: ActorSystem,
  address: string,
  serviceId: string,
  log: Log,
  intervalMs = 10_000,
): Graphite {
  const metrics = async (): Promise<Metric[]> => {
    const actors = writerMetricActors(system.snapshot().root);
    const rounds = await Promise.all(
      actors.map(([path, name]) =>
        system.ref<StatsProtocol>(path).request("stats", null, { timeoutMs: 2000 })
          .then((stats) => numericMetrics(stats, name), () => [])
      ),
    );
    return rounds.flat();
  };
  return startGraphite({
    address,
    prefix: `nxflow.writer.${metricSegment(serviceId)}`,
    metrics,
    intervalMs,
    log,
    source: "writer",
  });
}
