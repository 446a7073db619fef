import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { BearerAuth, isLoopbackHost } from './auth.js';

describe('isLoopbackHost', () => {
  it('loopback: 127.0.0.0/8, ::1, localhost (with or without brackets)', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1']) expect(isLoopbackHost(host), host).toBe(true);
  });
  it('anything else is not: every address, a LAN address, a name', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.org', '128.0.0.1', '::ffff:10.0.0.1']) expect(isLoopbackHost(host), host).toBe(false);
  });
});

describe('BearerAuth', () => {
  const auth = new BearerAuth('s3cret');
  const req = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;
  it('accepts exactly "Bearer <token>" (scheme case-insensitive)', () => {
    expect(auth.allows(req('Bearer s3cret'))).toBe(true);
    expect(auth.allows(req('bearer s3cret'))).toBe(true);
  });
  it('refuses a missing header, another scheme, a wrong, shorter or longer token', () => {
    for (const h of [undefined, 's3cret', 'Basic s3cret', 'Bearer s3cre', 'Bearer s3cret2', 'Bearer ', 'Bearer S3CRET']) expect(auth.allows(req(h)), String(h)).toBe(false);
  });
});
