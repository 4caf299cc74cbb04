/**
 * Every schema codec nxflow knows, one line each, by the name it is imported under (`runStop` for 6s4t). This is the
 * schema registry: `registry.ts` builds `SCHEMAS` from these exports and `mod.ts` re-exports them. Add a schema by
 * writing its folder (`<id>/<id>.fbs`, `generated/`, `codec.ts`) and one line here.
 *
 * @module
 */
export { ev44 } from "./ev44/codec.ts";
export { ev42 } from "./ev42/codec.ts";
export { ev43 } from "./ev43/codec.ts";
export { an44 } from "./an44/codec.ts";
export { ar51 } from "./ar51/codec.ts";
export { f144 } from "./f144/codec.ts";
export { f142 } from "./f142/codec.ts";
export { al00 } from "./al00/codec.ts";
export { ep01 } from "./ep01/codec.ts";
export { ep00 } from "./ep00/codec.ts";
export { pl72 } from "./pl72/codec.ts";
export { runStop } from "./6s4t/codec.ts";
export { answ } from "./answ/codec.ts";
export { wrdn } from "./wrdn/codec.ts";
export { x5f2 } from "./x5f2/codec.ts";
export { hs01 } from "./hs01/codec.ts";
export { hs00 } from "./hs00/codec.ts";
export { da00 } from "./da00/codec.ts";
export { ad00 } from "./ad00/codec.ts";
export { tdct } from "./tdct/codec.ts";
export { se00 } from "./se00/codec.ts";
export { senv } from "./senv/codec.ts";
export { fc00 } from "./fc00/codec.ts";
export { rf5k } from "./rf5k/codec.ts";
export { json } from "./json/codec.ts";
export { df12 } from "./df12/codec.ts";
export { ns10 } from "./ns10/codec.ts";
