// bench-verify-simplewebauthn.mjs: the inputs bench-verify wrote, through @simplewebauthn/server
//
// Usage: node bench-verify-simplewebauthn.mjs NODE_PREFIX INPUTS.json [SECONDS]
// NODE_PREFIX is the directory npm installed @simplewebauthn/server into. Prints key=value lines.
//
// Copyright 2026 Keyturn developers
// SPDX-License-Identifier: GPL-3.0-or-later

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [prefix, inputsPath, secondsArg] = process.argv.slice(2);
if (!prefix || !inputsPath) {
  console.error('Usage: node bench-verify-simplewebauthn.mjs NODE_PREFIX INPUTS.json [SECONDS]');
  process.exit(2);
}
const seconds = Number(secondsArg ?? 3);
const packageDir = join(prefix, 'node_modules', '@simplewebauthn', 'server');
const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
const { verifyAuthenticationResponse } = await import(
  pathToFileURL(join(packageDir, 'esm', 'index.js')).href);

const inputs = JSON.parse(readFileSync(inputsPath, 'utf8'));
// Decoded once, as a server keeps them: the keys are not part of what is measured.
const credentials = inputs.credentials.map((c) => ({
  id: c.id,
  publicKey: new Uint8Array(Buffer.from(c.publicKey, 'base64url')),
  counter: c.counter,
}));
const options = inputs.assertions.map((a) => ({
  response: a.response,
  expectedChallenge: a.challenge,
  expectedOrigin: inputs.origin,
  expectedRPID: inputs.rpId,
  credential: credentials[a.credential],
  requireUserVerification: inputs.requireUserVerification,
}));

async function verify(opts, index) {
  const result = await verifyAuthenticationResponse(opts);
  if (!result.verified) {
    throw new Error(`assertion ${index} did not verify`);
  }
}

// Every input must verify before anything is measured.
for (let i = 0; i < options.length; i++) {
  await verify(options[i], i);
}

function cpuSeconds(start) {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

// One verification at a time, as one request handler awaits it.
async function sequential() {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let count = 0;
  do {
    for (let i = 0; i < options.length; i++) {
      await verify(options[i], i);
    }
    count += options.length;
  } while (process.hrtime.bigint() < end);
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  return { rate: count / wall, cpu: cpuSeconds(cpu) / wall };
}

// All inputs in flight at once: WebCrypto's work spreads over libuv's thread pool.
async function concurrent() {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let count = 0;
  do {
    await Promise.all(options.map((o, i) => verify(o, i)));
    count += options.length;
  } while (process.hrtime.bigint() < end);
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  return { rate: count / wall, cpu: cpuSeconds(cpu) / wall };
}

const seq = await sequential();
const conc = await concurrent();
console.log(`inputs=${options.length}`);
console.log(`verified_all=yes`);
console.log(`node_version=${process.version}`);
console.log(`simplewebauthn_version=${version}`);
console.log(`swa_sequential_per_s=${seq.rate.toFixed(0)}`);
console.log(`swa_sequential_cpus=${seq.cpu.toFixed(2)}`);
console.log(`swa_concurrent_per_s=${conc.rate.toFixed(0)}`);
console.log(`swa_concurrent_cpus=${conc.cpu.toFixed(2)}`);
