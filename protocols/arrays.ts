/**
 * The typed arrays numeric values travel in between actors and inside them (pvAccess arrays, HDF5 dataset rows): one
 * definition for every protocol and module that names them. Types only.
 *
 * @module
 */

/** A typed array of one of the numeric element types (8 to 64 bit integers, signed or not, float and double). */
export type NumericArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;
