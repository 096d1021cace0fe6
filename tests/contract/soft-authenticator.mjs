// soft-authenticator.mjs: a small software WebAuthn authenticator for the contract test
//
// ES256 (P-256) keys made with node:crypto, attestation "none", answers in the JSON form
// (RegistrationResponseJSON / AuthenticationResponseJSON) that a browser hands Dynamic's client.
// The CBOR encoder below knows only what an attestation object and a COSE key hold.
//
// Copyright 2026 Keyturn developers
// SPDX-License-Identifier: GPL-3.0-or-later

import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';

const b64url = buf => Buffer.from(buf).toString('base64url');
const sha256 = data => createHash('sha256').update(data).digest();

function cborHead (major, n) {
  if (n < 24)
    return Buffer.from([major << 5 | n]);
  if (n < 0x100)
    return Buffer.from([major << 5 | 24, n]);
  if (n < 0x10000)
    return Buffer.from([major << 5 | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = major << 5 | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

// Integers, byte strings (Buffer), text strings and maps (a Map, keys in the given order).
export function cbor (value) {
  if (typeof value === 'number')
    return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  if (Buffer.isBuffer(value))
    return Buffer.concat([cborHead(2, value.length), value]);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([cborHead(3, bytes.length), bytes]);
  }
  if (value instanceof Map) {
    const parts = [cborHead(5, value.size)];
    for (const [k, v] of value)
      parts.push(cbor(k), cbor(v));
    return Buffer.concat(parts);
  }
  throw new Error(`cbor: cannot encode ${typeof value}`);
}

export class SoftAuthenticator {
  constructor () {
    this.credentials = [];          // {id: Buffer, privateKey, signCount}
  }

  // @options: GetPasskeyRegistrationOptionsResponse as the server sent it.
  create (options, origin) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const id = randomBytes(32);
    const coseKey = cbor(new Map([[1, 2], [3, -7], [-1, 1],
                                  [-2, Buffer.from(jwk.x, 'base64url')],
                                  [-3, Buffer.from(jwk.y, 'base64url')]]));
    const len = Buffer.alloc(2);
    len.writeUInt16BE(id.length);
    const authData = Buffer.concat([sha256(options.rp.id), Buffer.from([0x45]),
                                    Buffer.alloc(4), Buffer.alloc(16), len, id, coseKey]);
    const attestationObject = cbor(new Map([['fmt', 'none'], ['attStmt', new Map()],
                                            ['authData', authData]]));
    const clientData = JSON.stringify({ type: 'webauthn.create', challenge: options.challenge,
                                        origin, crossOrigin: false });
    this.credentials.push({ id, privateKey, signCount: 0, rpId: options.rp.id });
    return {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key',
      response: {
        clientDataJSON: b64url(Buffer.from(clientData)),
        // The generated model spells it so (PasskeyRegistrationCredentialV2).
        clientDataJson: b64url(Buffer.from(clientData)),
        attestationObject: b64url(attestationObject),
        transports: ['usb'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'cross-platform',
    };
  }

  // @options: GetPasskeyAuthenticationOptionsResponse; answers with the first allowed credential
  // this authenticator holds.
  get (options, origin) {
    const allowed = (options.allowCredentials || []).map(c => c.id);
    const credential = this.credentials.find(c => allowed.includes(b64url(c.id)));
    if (!credential)
      throw new Error('soft authenticator: none of the allowed credentials is here');
    credential.signCount++;
    const count = Buffer.alloc(4);
    count.writeUInt32BE(credential.signCount);
    const authData = Buffer.concat([sha256(options.rpId || credential.rpId), Buffer.from([0x05]),
                                    count]);
    const clientData = Buffer.from(JSON.stringify({ type: 'webauthn.get',
                                                    challenge: options.challenge,
                                                    origin, crossOrigin: false }));
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]),
                           credential.privateKey);
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientData),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'cross-platform',
    };
  }
}
