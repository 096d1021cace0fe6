// contract.mjs: keyturn-sandbox driven by Dynamic's own generated client, answer by answer
//
// Usage: node contract.mjs NODE_MODULES_DIR SANDBOX_BINARY
// Starts the real keyturn-sandbox with three environments (an enforced 2026_04_01 one, a legacy
// 2026_01_01 one, and an enforced one whose elevated tokens live one second), then makes every
// call of the sign-in flow and of step-up through @dynamic-labs/sdk-api-core's SDKApi, so that
// each request body is the one its ...ToJSON writes. Every answer is checked against the model
// the generated method reads it as (see model-check.mjs, which reads the models' .d.ts); each
// call is one TAP test. Exits non-zero on any failure.
//
// Copyright 2026 Keyturn developers
// SPDX-License-Identifier: GPL-3.0-or-later

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { ModelReader } from './model-check.mjs';
import { SoftAuthenticator } from './soft-authenticator.mjs';

const [nodeModules, sandboxBinary] = process.argv.slice(2);
const corePath = join(nodeModules, '@dynamic-labs', 'sdk-api-core');
const core = await import(pathToFileURL(join(corePath, 'src', 'index.js')).href);
const models = new ModelReader(join(corePath, 'src', 'models'));
const corePackage = JSON.parse(readFileSync(join(corePath, 'package.json'), 'utf8'));

const ENFORCED = '6b1f0b8e-2f4c-4d8e-9a61-0c2b7f3a5d01';
const LEGACY = '6b1f0b8e-2f4c-4d8e-9a61-0c2b7f3a5d02';
const SHORT = '6b1f0b8e-2f4c-4d8e-9a61-0c2b7f3a5d03';

function environment (id, name, minApiVersion, extra = {}) {
  return {
    id, displayName: name, minApiVersion,
    rp: { id: 'localhost', name },
    mfa: { required: true, userVerification: 'preferred', ...extra.mfa },
    lifetimes: { emailRetry: 1, ...extra.lifetimes },
    ...(extra.stepUp ? { stepUp: extra.stepUp } : {}),
  };
}

const config = {
  environments: [
    // credential:link single-use here, so that a spent token can be tried; unlink stays
    // time-bound (Dynamic's default for non-wallet scopes).
    environment(ENFORCED, 'Contract enforced', '2026_04_01',
                { stepUp: { singleUseScopes: ['credential:link'] } }),
    environment(LEGACY, 'Contract legacy', '2026_01_01',
                { mfa: { mfaTokenRequiredFor: ['delete-passkey'] } }),
    environment(SHORT, 'Contract short-lived tokens', '2026_04_01',
                { lifetimes: { elevatedTimeBound: 1, elevatedSingleUse: 1 } }),
  ],
};

/* TAP */
let testNumber = 0, failures = 0, conforming = 0, calls = 0;
function ok (pass, name, details = []) {
  testNumber++;
  if (!pass)
    failures++;
  console.log(`${pass ? 'ok' : 'not ok'} ${testNumber} - ${name}`);
  for (const line of details)
    console.log(`# ${line}`);
}
const diag = text => console.log(`# ${text}`);

/* The sandbox */
const root = mkdtempSync(join(tmpdir(), 'keyturn-contract-'));
const dataDir = join(root, 'data');
writeFileSync(join(root, 'config.json'), JSON.stringify(config));
const sandbox = spawn(sandboxBinary, ['--listen', '127.0.0.1:0', '--data-dir', dataDir,
                                      '--config', join(root, 'config.json')],
                      { stdio: ['ignore', 'ignore', 'inherit'] });
let cleaned = false;
function cleanup () {
  if (cleaned)
    return;
  cleaned = true;
  sandbox.kill('SIGTERM');
  rmSync(root, { recursive: true, force: true });
}
process.on('exit', cleanup);

const describedPath = join(dataDir, 'sandbox.json');
for (let i = 0; i < 200 && !existsSync(describedPath); i++)
  await new Promise(r => setTimeout(r, 50));
if (!existsSync(describedPath)) {
  console.log('Bail out! keyturn-sandbox wrote no sandbox.json');
  process.exit(1);
}
const described = JSON.parse(readFileSync(describedPath, 'utf8'));
const originOf = id => described.environments.find(e => e.id === id).origin;

/* Dynamic's client, with a middleware that keeps each answer's text for the model check and
 * adds the headers a call needs beyond what the generated method sends. */
let lastBody = null, lastStatus = 0, extraHeaders = {};
const api = new core.SDKApi(new core.Configuration({
  basePath: described.baseUrl,
  accessToken: () => currentToken,
  middleware: [{
    pre: async ({ url, init }) => {
      init.headers = { ...init.headers, 'x-dyn-version': 'ClientSDK/1.27.1',
                       'x-dyn-api-version': `API/${corePackage.version}`,
                       'x-dyn-request-id': crypto.randomUUID(),
                       'x-dynamic-platform': 'browser', ...extraHeaders };
      // Not every generated method names bearerAuth; Dynamic's client sends the token on all.
      if (currentToken && !init.headers.Authorization)
        init.headers.Authorization = `Bearer ${currentToken}`;
      return { url, init };
    },
    post: async ({ response }) => {
      lastStatus = response.status;
      lastBody = await response.clone().text();
      return response;
    },
  }],
}));
let currentToken = null;

// One call, one test: it must succeed, and its answer must conform to @model ('' for none).
async function call (name, model, fn, headers = {}) {
  calls++;
  extraHeaders = headers;
  let value, thrown = null;
  try {
    value = await fn();
  } catch (e) {
    thrown = e;
  }
  extraHeaders = {};
  const problems = [];
  if (thrown)
    problems.push(`failed: ${thrown.message} (HTTP ${lastStatus}: ${String(lastBody).slice(0, 300)})`);
  else if (model)
    problems.push(...models.check(model, JSON.parse(lastBody)));
  if (problems.length === 0)
    conforming++;
  ok(problems.length === 0, `${name} answers a conforming ${model || 'empty body'}`, problems);
  return thrown ? undefined : value;
}

// A call that must be refused with @status and an error body in Dynamic's shape.
async function refused (name, status, fn, headers = {}) {
  calls++;
  extraHeaders = headers;
  let thrown = null;
  try {
    await fn();
  } catch (e) {
    thrown = e;
  }
  extraHeaders = {};
  const problems = [];
  if (!thrown)
    problems.push(`accepted (HTTP ${lastStatus}) where ${status} was expected`);
  else if (lastStatus !== status)
    problems.push(`HTTP ${lastStatus} where ${status} was expected: ${lastBody}`);
  else {
    let body = null;
    try {
      body = JSON.parse(lastBody);
    } catch {
      problems.push(`the error body is not JSON: ${lastBody}`);
    }
    if (body) {
      problems.push(...models.check(status === 403 ? 'Forbidden' : 'BadRequest', body));
      if (typeof body.error !== 'string' || typeof body.code !== 'string')
        problems.push(`the error body lacks "error" and "code" strings: ${lastBody}`);
    }
  }
  if (problems.length === 0)
    conforming++;
  ok(problems.length === 0, `${name} is refused with ${status}`, problems);
}

function emailFor (prefix) {
  return `${prefix}-${process.pid}-${Date.now()}@example.com`;
}

function readCode (email) {
  const outbox = join(dataDir, 'outbox');
  const names = readdirSync(outbox).sort().reverse();
  for (const name of names) {
    const text = readFileSync(join(outbox, name), 'utf8');
    if (text.includes(`\r\nTo: <${email}>\r\n`))
      return /\b(\d{6})\b/.exec(text.split('\r\n\r\n').slice(1).join('\n'))[1];
  }
  throw new Error(`no email to ${email}`);
}

function claims (jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

// Sign-in by email code, then the first passkey: a user with MFA done, in @env.
async function signUp (env, prefix, { retry = false } = {}) {
  const environmentId = env;
  const email = emailFor(prefix);
  const created = await call(`[${prefix}] POST /emailVerifications/create`,
                             'EmailVerificationCreateResponse',
                             () => api.createEmailVerification({
                               environmentId,
                               emailVerificationCreateRequest: { email } }));
  let uuid = created.verificationUUID;
  if (retry) {
    await new Promise(r => setTimeout(r, 1100));
    const again = await call(`[${prefix}] POST /emailVerifications/retry`,
                             'EmailVerificationCreateResponse',
                             () => api.retryEmailVerification({
                               environmentId,
                               emailVerificationRetryRequest: { email, verificationUUID: uuid } }));
    uuid = again.verificationUUID;
  }
  // Every member Dynamic's client may send on sign-in, as its ...ToJSON writes them.
  const verified = await call(`[${prefix}] POST /emailVerifications/signin`, 'VerifyResponse',
                              () => api.signInWithEmailVerification({
                                environmentId,
                                emailVerificationVerifyRequest: {
                                  verificationUUID: uuid, verificationToken: readCode(email),
                                  sessionPublicKey: '02' + 'ab'.repeat(32),
                                  allowNewMFALinking: true } }),
                              { 'x-dyn-session-public-key': '02' + 'cd'.repeat(32) });
  currentToken = verified.minifiedJwt;
  const authenticator = new SoftAuthenticator();
  const options = await call(`[${prefix}] GET /users/passkeys/register`,
                             'GetPasskeyRegistrationOptionsResponse',
                             () => api.getPasskeyRegistrationOptions({ environmentId }));
  const registered = await call(`[${prefix}] POST /users/passkeys/register (MFA enrolment)`,
                                'VerifyResponse',
                                () => api.registerPasskey({
                                  environmentId,
                                  passkeyRegisterRequest: authenticator.create(options,
                                                                               originOf(env)) }));
  currentToken = registered.minifiedJwt;
  return { env, email, authenticator, user: registered.user, token: currentToken };
}

// A passkey MFA ceremony asking for @scopes; answers the VerifyResponse.
async function stepUp (who, scopes, label) {
  const environmentId = who.env;
  currentToken = who.token;
  const options = await call(`${label}: GET /users/passkeys/authenticate`,
                             'GetPasskeyAuthenticationOptionsResponse',
                             () => api.getPasskeyAuthenticationOptions({ environmentId }));
  const answer = who.authenticator.get(options, originOf(who.env));
  const verified = await call(`${label}: POST /users/mfa/auth/passkey requestedScopes=${scopes}`,
                              'VerifyResponse',
                              () => api.authenticateMfaPasskeyDevice({
                                environmentId,
                                passkeyAuthRequest: { ...answer, requestedScopes: scopes } }));
  who.token = currentToken = verified.minifiedJwt;
  return verified;
}

const elevated = token => ({ 'x-dyn-elevated-access-token': token });

diag(`@dynamic-labs/sdk-api-core ${corePackage.version}, keyturn-sandbox at ${described.baseUrl}`);

/* 1. The whole flow, on the enforced environment. */
try {
  const environmentId = ENFORCED;
  const settings = await call('GET /settings', 'ProjectSettings',
                              () => api.getEnvironmentSettings({ environmentId }));
  ok(settings?.sdk?.minApiVersion === '2026_04_01', 'settings say sdk.minApiVersion 2026_04_01');

  const alice = await signUp(ENFORCED, 'alice', { retry: true });
  ok(alice.user.mfaBackupCodeAcknowledgement === 'pending',
     'the first passkey leaves the recovery codes to acknowledge');

  await call('GET /users', 'SdkUser', () => api.getAuthenticatedUser({ environmentId }));
  const codes = await call('GET /users/mfa/recovery', 'MFAGetRecoveryCodesResponse',
                           () => api.getRecoveryCodes({ environmentId }));
  const renewed = await call('POST /users/mfa/recovery', 'MFARegenRecoveryCodesResponse',
                             () => api.createNewRecoveryCodes({ environmentId }));
  ok(renewed && codes && renewed.recoveryCodes[0] !== codes.recoveryCodes[0],
     'new recovery codes replace the old ones');
  const acknowledged = await call('PUT /users (acknowledge)', 'UpdateSelfResponse',
                                  () => api.updateSelf({
                                    environmentId,
                                    userFields: { mfaBackupCodeAcknowledgement: 'complete' } }));
  if (acknowledged?.minifiedJwt)
    alice.token = currentToken = acknowledged.minifiedJwt;

  const byCode = await call('POST /users/mfa/auth/recovery requestedScopes=credential:unlink',
                            'VerifyResponse',
                            () => api.authMfaRecovery({
                              environmentId,
                              mFAAuthRecoveryDevicePostRequest: {
                                code: renewed.recoveryCodes[0],
                                requestedScopes: ['credential:unlink'] } }));
  ok(typeof byCode?.elevatedAccessToken === 'string',
     'a recovery code with requestedScopes answers an elevatedAccessToken');
  if (byCode?.minifiedJwt)
    alice.token = currentToken = byCode.minifiedJwt;

  const check = await call('POST /stepUp/check credential:unlink', 'StepUpCheckResponse',
                           () => api.stepUpCheck({ environmentId,
                                                   stepUpCheckRequest: { scope: 'credential:unlink' } }));
  ok(check?.isRequired === true && check.credentials.length === 1,
     'step-up is required for credential:unlink, with the passkey to do it');

  /* What Dynamic refuses: a scope TokenScope does not have. */
  await refused('POST /stepUp/check with an unknown scope', 400,
                () => api.stepUpCheck({ environmentId,
                                        stepUpCheckRequest: { scope: 'credential:everything' } }));
  await refused('POST /users/mfa/auth/recovery with an unknown requested scope', 400,
                () => api.authMfaRecovery({
                  environmentId,
                  mFAAuthRecoveryDevicePostRequest: { code: renewed.recoveryCodes[1],
                                                      requestedScopes: ['credential:everything'] } }));

  /* Step-up: credential:link (single-use here) to add a second passkey while signed in. */
  const link = await stepUp(alice, ['credential:link'], 'step-up for credential:link');
  const linkClaims = claims(link.elevatedAccessToken);
  ok(linkClaims.scope === 'credential:link' && linkClaims.singleUse === true
     && linkClaims.sub === alice.user.id && linkClaims.exp - linkClaims.iat === 300,
     'the elevated token holds scope, sub, singleUse and a 300 s life', [JSON.stringify(linkClaims)]);

  const options2 = await call('GET /users/passkeys/register (second key)',
                              'GetPasskeyRegistrationOptionsResponse',
                              () => api.getPasskeyRegistrationOptions({ environmentId }));
  const answer2 = alice.authenticator.create(options2, originOf(ENFORCED));
  await refused('step-up: a second passkey without a token', 403,
                () => api.registerPasskey({ environmentId, passkeyRegisterRequest: answer2 }));
  const options3 = await call('GET /users/passkeys/register (second key, again)',
                              'GetPasskeyRegistrationOptionsResponse',
                              () => api.getPasskeyRegistrationOptions({ environmentId }));
  await call('POST /users/passkeys/register with credential:link', 'VerifyResponse',
             () => api.registerPasskey({
               environmentId,
               passkeyRegisterRequest: alice.authenticator.create(options3, originOf(ENFORCED)) }),
             elevated(link.elevatedAccessToken));
  const options4 = await call('GET /users/passkeys/register (third key)',
                              'GetPasskeyRegistrationOptionsResponse',
                              () => api.getPasskeyRegistrationOptions({ environmentId }));
  await refused('step-up: a spent single-use token', 403,
                () => api.registerPasskey({
                  environmentId,
                  passkeyRegisterRequest: alice.authenticator.create(options4,
                                                                     originOf(ENFORCED)) }),
                elevated(link.elevatedAccessToken));

  const list = await call('GET /users/passkeys', 'GetUserPasskeysResponse',
                          () => api.getUserPasskeys({ environmentId }));
  ok(list?.passkeys?.length === 2, 'two passkeys are listed');
  const second = list.passkeys.find(p => p.id !== list.passkeys[0].id && true) || list.passkeys[1];
  await call('PUT /users/passkeys (rename)', 'UserPasskey',
             () => api.updatePasskey({ environmentId,
                                       updateUserPasskeyRequest: { id: second.id, alias: 'Blue key' } }));
  await call('GET /users/mfa/methods', 'MFAMethodsResponse',
             () => api.getUserMfaMethods({ environmentId }));
  await call('GET /users/mfa', 'MFAListDevicesResponse',
             () => api.getUserMfaDevices({ environmentId }));

  /* Step-up: credential:unlink (time-bound) for deleting. */
  await refused('step-up: delete without a token', 403,
                () => api.deletePasskey({ environmentId,
                                          deleteUserPasskeyRequest: { passkeyId: second.id } }));
  await refused('step-up: delete with the wrong scope (a spent link token)', 403,
                () => api.deletePasskey({ environmentId,
                                          deleteUserPasskeyRequest: { passkeyId: second.id } }),
                elevated(link.elevatedAccessToken));
  const link2 = await stepUp(alice, ['credential:link'], 'step-up for credential:link again');
  await refused('step-up: delete with a live token of the wrong scope', 403,
                () => api.deletePasskey({ environmentId,
                                          deleteUserPasskeyRequest: { passkeyId: second.id } }),
                elevated(link2.elevatedAccessToken));
  await refused('step-up: delete with a legacy x-mfa-auth-token only', 403,
                () => api.deletePasskey({ environmentId,
                                          deleteUserPasskeyRequest: { passkeyId: second.id } }),
                { 'x-mfa-auth-token': 'not-a-step-up-token' });

  // A third key with the live link token, so that the time-bound unlink token can delete twice.
  const options5 = await call('GET /users/passkeys/register (third key)',
                              'GetPasskeyRegistrationOptionsResponse',
                              () => api.getPasskeyRegistrationOptions({ environmentId }));
  await call('POST /users/passkeys/register (third key)', 'VerifyResponse',
             () => api.registerPasskey({
               environmentId,
               passkeyRegisterRequest: alice.authenticator.create(options5, originOf(ENFORCED)) }),
             elevated(link2.elevatedAccessToken));

  const unlink = await stepUp(alice, ['credential:unlink'], 'step-up for credential:unlink');
  const unlinkClaims = claims(unlink.elevatedAccessToken);
  ok(!unlinkClaims.singleUse && unlinkClaims.exp - unlinkClaims.iat === 600,
     'a credential:unlink token is time-bound, 600 s', [JSON.stringify(unlinkClaims)]);

  /* Another user's token and another environment's token. */
  const bob = await signUp(ENFORCED, 'bob');
  const bobs = await stepUp(bob, ['credential:unlink'], '[bob] step-up for credential:unlink');
  const carol = await signUp(SHORT, 'carol');
  const carols = await stepUp(carol, ['credential:unlink'], '[carol] step-up on another environment');
  currentToken = alice.token;
  await refused('step-up: another user\'s token', 403,
                () => api.deletePasskey({ environmentId,
                                          deleteUserPasskeyRequest: { passkeyId: second.id } }),
                elevated(bobs.elevatedAccessToken));
  await refused('step-up: another environment\'s token', 403,
                () => api.deletePasskey({ environmentId,
                                          deleteUserPasskeyRequest: { passkeyId: second.id } }),
                elevated(carols.elevatedAccessToken));

  await call('DELETE /users/passkeys with credential:unlink', '',
             () => api.deletePasskey({ environmentId,
                                       deleteUserPasskeyRequest: { passkeyId: second.id } }),
             elevated(unlink.elevatedAccessToken));
  const devices = await call('GET /users/mfa (after delete)', 'MFAListDevicesResponse',
                             () => api.getUserMfaDevices({ environmentId }));
  const third = devices.devices.find(d => !d.default) || devices.devices[1];
  await call('DELETE /users/mfa/{id}, the time-bound token reused within its life', '',
             () => api.deleteMfaDevice({ environmentId, mfaDeviceId: third.id, xMfaAuthToken: '' }),
             elevated(unlink.elevatedAccessToken));

  /* An expired token, on the environment whose tokens live one second. */
  await new Promise(r => setTimeout(r, 2100));
  currentToken = carol.token;
  const carolKeys = await call('[carol] GET /users/passkeys', 'GetUserPasskeysResponse',
                               () => api.getUserPasskeys({ environmentId: SHORT }));
  await refused('step-up: an expired token', 403,
                () => api.deletePasskey({ environmentId: SHORT,
                                          deleteUserPasskeyRequest: {
                                            passkeyId: carolKeys.passkeys[0].id } }),
                elevated(carols.elevatedAccessToken));

  /* The session's own calls. */
  currentToken = alice.token;
  const refreshed = await call('POST /refresh', 'VerifyResponse',
                               () => api.refreshAuth({ environmentId }));
  if (refreshed?.minifiedJwt)
    currentToken = refreshed.minifiedJwt;
  await call('GET /session', '', () => api.sessionCheck({ environmentId }));
  await call('POST /revoke', '', () => api.revokeSession({ environmentId }));
} catch (e) {
  ok(false, `the flow stopped: ${e.message}`);
}

/* 2. A legacy environment: x-mfa-auth-token, no step-up. */
try {
  const environmentId = LEGACY;
  const settings = await call('[legacy] GET /settings', 'ProjectSettings',
                              () => api.getEnvironmentSettings({ environmentId }));
  ok(settings?.sdk?.minApiVersion === '2026_01_01', 'legacy settings say sdk.minApiVersion 2026_01_01');
  const dave = await signUp(LEGACY, 'dave');
  const check = await call('[legacy] POST /stepUp/check credential:unlink', 'StepUpCheckResponse',
                           () => api.stepUpCheck({ environmentId,
                                                   stepUpCheckRequest: { scope: 'credential:unlink' } }));
  ok(check?.isRequired === false, 'a legacy environment requires no step-up');
  const options = await call('[legacy] GET /users/passkeys/authenticate',
                             'GetPasskeyAuthenticationOptionsResponse',
                             () => api.getPasskeyAuthenticationOptions({ environmentId }));
  const verified = await call('[legacy] POST /users/mfa/auth/passkey createMfaToken',
                              'VerifyResponse',
                              () => api.authenticateMfaPasskeyDevice({
                                environmentId,
                                passkeyAuthRequest: { ...dave.authenticator.get(options, originOf(LEGACY)),
                                                      createMfaToken: { singleUse: true } } }));
  currentToken = verified.minifiedJwt;
  const keys = await call('[legacy] GET /users/passkeys', 'GetUserPasskeysResponse',
                          () => api.getUserPasskeys({ environmentId }));
  await refused('[legacy] delete without x-mfa-auth-token', 403,
                () => api.deletePasskey({ environmentId,
                                          deleteUserPasskeyRequest: { passkeyId: keys.passkeys[0].id } }));
  await call('[legacy] DELETE /users/passkeys with x-mfa-auth-token', '',
             () => api.deletePasskey({ environmentId,
                                       deleteUserPasskeyRequest: { passkeyId: keys.passkeys[0].id } }),
             { 'x-mfa-auth-token': verified.mfaToken });
} catch (e) {
  ok(false, `the legacy flow stopped: ${e.message}`);
}

if (models.unknownTypes.size > 0)
  diag(`types passed unchecked: ${[...models.unknownTypes].join(', ')}`);
diag(`${conforming} of ${calls} calls conform`);
console.log(`1..${testNumber}`);
process.exitCode = failures > 0 ? 1 : 0;
cleanup();
