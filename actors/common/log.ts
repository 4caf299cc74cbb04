/**
 * Console logging for the parent thread: one line per record, as text (default) or JSON (`--log-format json`), on
 * stderr for warnings and errors and stdout otherwise.
 *
 * @module
 */
import type { SupervisorEvent } from "../../protocols/supervision.ts";

/** Severity of a log record. */
export type Level = "info" | "warn" | "error";

/** Writes one record. */
export type Log = (level: Level, source: string, message: string, fields?: Record<string, unknown>) => void;

/** A logger writing text or JSON lines. */
export function createLog(format: "text" | "json"): Log {
  return (level, source, message, fields) => {
    const time = new Date().toISOString();
    const line = format === "json"
      ? JSON.stringify({ time, level, source, message, ...fields })
      : `${time} ${level.toUpperCase().padEnd(5)} ${source}: ${message}${fields ? " " + JSON.stringify(fields) : ""}`;
    if (level === "info") console.log(line);
    else console.error(line);
  };
}

/** Logs a supervision event at the level it deserves. */
export function logEvent(log: Log, e: SupervisorEvent): void {
  switch (e.type) {
    case "started":
      return log("info", e.path, "started");
    case "exited":
      return log(e.kind === "normal" || e.kind === "shutdown" ? "info" : "warn", e.path, `exited (${e.kind})`, {
        reason: e.reason,
      });
    case "restarted":
      return log("info", e.path, `restarted (restart ${e.restarts}, ${e.latencyMs} ms after exit)`);
    case "escalated":
      return log("error", e.path, "escalated", { reason: e.reason });
    case "stopped":
      return log("info", e.path, "stopped");
    case "stashOverflow":
      return log("warn", e.path, "stash overflow: messages dropped", { reason: e.reason });
  }
}
