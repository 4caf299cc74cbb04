/**
 * A throw-away certificate authority for a local broker with TLS, made on the fly with `openssl` and `keytool`:
 * the CA, a broker certificate for 127.0.0.1 and localhost signed by it, the brokers' PKCS12 key store and trust store,
 * and the CA certificate in PEM for clients. Valid for two days; never use it outside tests and demos.
 *
 * @module
 */
import { join } from "node:path";

/** The files of a test CA. */
export interface TestCa {
  /** the CA certificate (PEM) a client trusts. */
  caPem: string;
  /** the brokers' key store (PKCS12: key and certificate chain). */
  keystore: string;
  /** the brokers' trust store (PKCS12: the CA). */
  truststore: string;
  /** password of both stores. */
  password: string;
}

/** Raised when openssl or keytool fails. */
export class TestCaError extends Error {
  override name = "TestCaError";
}

/**
 * Creates a test CA and the broker's stores in `dir` (which must exist).
 *
 * @throws {TestCaError} naming the command that failed and its output.
 */
export async function makeTestCa(dir: string): Promise<TestCa> {
  const f = (name: string) => join(dir, name);
  const password = crypto.randomUUID().replaceAll("-", "");
  await Deno.writeTextFile(f("broker.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  const days = "2";
  await run(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f("ca.key"), "-out", f("ca.pem")]
      .concat(["-days", days, "-subj", "/CN=nxflow test CA"]),
  );
  await run(
    "openssl",
    ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", f("broker.key"), "-out", f("broker.csr")]
      .concat(["-subj", "/CN=localhost"]),
  );
  await run(
    "openssl",
    ["x509", "-req", "-in", f("broker.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key")]
      .concat(["-CAcreateserial", "-out", f("broker.pem"), "-days", days, "-extfile", f("broker.ext")]),
  );
  await run(
    "openssl",
    ["pkcs12", "-export", "-in", f("broker.pem"), "-inkey", f("broker.key"), "-certfile"]
      .concat([f("ca.pem"), "-name", "broker", "-out", f("broker.p12"), "-passout", `pass:${password}`]),
  );
  await run(
    "keytool",
    ["-importcert", "-noprompt", "-alias", "nxflow-test-ca", "-file", f("ca.pem")]
      .concat(["-keystore", f("truststore.p12"), "-storetype", "PKCS12", "-storepass", password]),
  );
  return { caPem: f("ca.pem"), keystore: f("broker.p12"), truststore: f("truststore.p12"), password };
}

async function run(command: string, args: string[]): Promise<void> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(command, { args, stdin: "null", stdout: "piped", stderr: "piped" }).output();
  } catch (error) {
    throw new TestCaError(`Cannot run ${command} to make the test CA: ${(error as Error).message}`);
  }
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr).trim();
    throw new TestCaError(`${command} ${args[0]} failed with code ${out.code} making the test CA: ${text}`);
  }
}
