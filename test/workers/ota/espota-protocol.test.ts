/**
 * The espota wire format against the golden vectors captured from the real espota.py
 * (reference/worker-domain.md §2.1): fw.bin, 50000 bytes, md5 669e2239..., device 127.0.0.1,
 * password s3cret, host TCP port 34567.
 */
import {
  AckReader,
  authResponse,
  formatAuth,
  formatInvitation,
  makeCnonce,
  parseAuth,
  parseInvitation,
  parseInviteReply,
  storedPasswordHash,
} from '../../../workers/lib/ota/espota-protocol';
import { codeForUpdateError, OtaError, OtaErrorCode } from '../../../workers/lib/ota/errors';

const V = {
  file: 'fw.bin',
  size: 50000,
  md5: '669e22392a6d18f90995072a0aa42d5d',
  ip: '127.0.0.1',
  password: 's3cret',
  port: 34567,
  md5Nonce: '50ccfac628d2fee6277bccf2b32dbac8',
  sha256Nonce: '8b797b333af130095c0fb0cca8f1ef453e6511a3721e64cee224c59a0d78e2b1',
};

describe('espota wire format (captured vectors)', () => {
  test('the invitation is byte-identical to the capture', () => {
    expect(formatInvitation(0, V.port, V.size, V.md5)).toBe('0 34567 50000 669e22392a6d18f90995072a0aa42d5d\n');
    expect(parseInvitation('0 34567 50000 669e22392a6d18f90995072a0aa42d5d\n')).toEqual({ command: 0, hostPort: 34567, size: 50000, md5: V.md5 });
  });

  test('MD5 scheme: cnonce and response match what espota.py sent', () => {
    const cnonce = makeCnonce('md5', V.file, V.size, V.md5, V.ip);
    const response = authResponse('md5', storedPasswordHash(V.password, 'md5'), V.md5Nonce, cnonce);
    expect(formatAuth(cnonce, response)).toBe('200 901b6b0cdf3ee8b9fba5c29d08b8cc35 0aa1c9c3621fcdb626b914cf9c65e6f1\n');
  });

  test('SHA256 scheme (PBKDF2, 10000 rounds): cnonce and response match what espota.py sent', () => {
    const cnonce = makeCnonce('sha256', V.file, V.size, V.md5, V.ip);
    const response = authResponse('sha256', storedPasswordHash(V.password, 'sha256'), V.sha256Nonce, cnonce);
    expect(cnonce).toBe('45c79a9a0230899ea8df03afcfd5d1e7964dc0fe6d7f9e539f7757fce2798f93');
    expect(response).toBe('6593fc64858b6b451b3b1cc403d3feb515b2481f53e804eea1bcb503833263d6');
    expect(parseAuth(formatAuth(cnonce, response))).toEqual({ cnonce, response });
  });

  test('the scheme follows the nonce length', () => {
    expect(parseInviteReply(`AUTH ${V.md5Nonce}`)).toEqual({ kind: 'auth', nonce: V.md5Nonce, scheme: 'md5' });
    expect(parseInviteReply(`AUTH ${V.sha256Nonce}`)).toEqual({ kind: 'auth', nonce: V.sha256Nonce, scheme: 'sha256' });
    expect(parseInviteReply('AUTH abc')).toMatchObject({ kind: 'auth', scheme: undefined });
    expect(parseInviteReply('OK')).toEqual({ kind: 'ok' });
  });

  test('the device ignores unknown commands and MD5s of the wrong length', () => {
    expect(parseInvitation(`7 1 2 ${V.md5}\n`)).toBeNull();
    expect(parseInvitation('0 1 2 abc\n')).toBeNull();
    expect(parseInvitation(`100 1 2 ${V.md5}\n`)).toMatchObject({ command: 100 });
  });
});

describe('AckReader', () => {
  test("'848OK': the last count and the OK glued together", () => {
    const r = new AckReader();
    r.feed('1024', 1024);
    r.feed('848OK', 1872);
    expect(r.bytesAcked).toBe(1872);
    expect(r.ok).toBe(true);
  });

  test('two counts glued into one segment are split by what is outstanding', () => {
    const r = new AckReader();
    r.feed('536488', 1024);
    expect(r.bytesAcked).toBe(1024);
    expect(r.ok).toBe(false);
  });

  test('a re-sent count never pushes the ack past what was sent', () => {
    const r = new AckReader();
    r.feed('1024', 1024);
    r.feed('1024', 1024);
    expect(r.bytesAcked).toBe(1024);
  });

  test('an error line after the counts is read once complete', () => {
    const r = new AckReader();
    r.feed('848MD5 Check', 848);
    expect(r.errorText(false)).toBeUndefined();
    r.feed(' Failed\n', 848);
    expect(r.errorText(false)).toBe('MD5 Check Failed');
    expect(r.ok).toBe(false);
  });
});

describe('error vocabulary', () => {
  test.each([
    ['MD5 Check Failed', OtaErrorCode.IMAGE_REJECTED_MD5],
    ['Wrong Magic Byte', OtaErrorCode.IMAGE_REJECTED_MAGIC],
    ['Not Enough Space', OtaErrorCode.NO_SPACE],
    ['Could Not Activate The Firmware', OtaErrorCode.ACTIVATION_FAILED],
    ['Partition Could Not be Found', OtaErrorCode.NO_OTA_PARTITION],
    ['Stream Read Timeout', OtaErrorCode.TRANSFER_STALLED],
  ])('%s → %s', (text, code) => expect(codeForUpdateError(text)).toBe(code));

  test('auth failures are terminal, a cut transfer and an unreachable device are retryable', () => {
    expect(new OtaError(OtaErrorCode.AUTH_FAILED, '').retryable).toBe(false);
    expect(new OtaError(OtaErrorCode.TRANSFER_STALLED, '').retryable).toBe(true);
    expect(new OtaError(OtaErrorCode.DEVICE_UNREACHABLE, '').retryable).toBe(true);
  });
});
