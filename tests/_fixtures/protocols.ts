/** Protocols of the actors the runtime tests start. Types only. */

/** The recorder keeps every number it is sent, and can forward, echo buffers and misbehave on demand. */
export interface RecorderProtocol {
  in:
    | { type: "record"; n: number }
    | { type: "slowRecord"; n: number; ms: number }
    | { type: "forward"; n: number }
    | { type: "blob"; data: Uint8Array }
    | { type: "throw"; message: string }
    | { type: "rejectLater"; message: string }
    | { type: "closeSelf" }
    | { type: "denoExit"; code: number }
    | { type: "busy"; ms: number }
    | { type: "finish" };
  requests: {
    seen: { request: null; reply: { n: number[]; redelivered: number[]; connects: number } };
    ping: { request: string; reply: string };
    invalid: { request: number; reply: never };
    echoBlob: { request: Uint8Array; reply: Uint8Array };
  };
  out:
    | { type: "recorded"; id: string; n: number; redelivered: boolean }
    | { type: "blob"; bytes: number; sum: number }
    | { type: "stopping"; id: string };
  ports: { link: { n: number } };
}

/** Configuration of the recorder actor. */
export interface RecorderConfig {
  /** init throws this message. */
  failInit?: string;
  /** init waits this long before the actor is ready. */
  initDelayMs?: number;
  /** a record with this n crashes the actor. */
  poison?: number;
}
