/**
 * One error vocabulary for the OTA protocol clients (espota, HTTP push, device HTTP API).
 *
 * The codes are the ones the `ota_deploy`, `verify_device` and `rollback` worker contracts list
 * (reference/worker-domain.md §8.3–8.5), so a worker passes `err.code` and `err.retryable`
 * straight into its result: retryable → Conductor FAILED (retried by the task definition),
 * not retryable → FAILED_WITH_TERMINAL_ERROR. Tests assert codes, never messages.
 */
export const OtaErrorCode = {
  /** Bad options (empty image, bad port...). */
  INVALID_INPUT: 'INVALID_INPUT',
  /** Device answered "Authentication Failed" for every allowed scheme, or HTTP 401. */
  AUTH_FAILED: 'AUTH_FAILED',
  /** No UDP reply after all invitation tries, ICMP port unreachable, or HTTP connect refused/timed out. */
  DEVICE_UNREACHABLE: 'DEVICE_UNREACHABLE',
  /** Device accepted the invitation but never opened the TCP connection back to us. */
  NO_CONNECT_BACK: 'NO_CONNECT_BACK',
  /** Upload cut: chunk ack timeout, connection reset or closed mid-stream, "Receive Failed". */
  TRANSFER_STALLED: 'TRANSFER_STALLED',
  /** Every byte was sent but the device never said OK. */
  NO_RESULT: 'NO_RESULT',
  /** HTTP 409/503 from the device: another update or a reboot is under way. */
  DEVICE_BUSY: 'DEVICE_BUSY',
  /** Update error strings (Updater.cpp `_err2str`) the device reports at the end. */
  IMAGE_REJECTED_MD5: 'IMAGE_REJECTED_MD5',
  IMAGE_REJECTED_MAGIC: 'IMAGE_REJECTED_MAGIC',
  NO_SPACE: 'NO_SPACE',
  ACTIVATION_FAILED: 'ACTIVATION_FAILED',
  NO_OTA_PARTITION: 'NO_OTA_PARTITION',
  /** Any other Update error string over espota (flash write/erase/read, bad argument). */
  UPDATE_FAILED: 'UPDATE_FAILED',
  /** A `/update` body "Update error: ..." that maps to no specific code. */
  HTTP_UPDATE_ERROR: 'HTTP_UPDATE_ERROR',
  /** HTTPUpdateServer's CSRF check: "Wrong origin received!". */
  ORIGIN_REJECTED: 'ORIGIN_REJECTED',
  /** The device said something the protocol does not allow (not an ArduinoOTA peer?). */
  PROTOCOL_ERROR: 'PROTOCOL_ERROR',
  /** The caller's AbortSignal fired (task timeout or cancel). */
  ABORTED: 'ABORTED',
  /** `/info` answered but not with the JSON the firmware contract promises. */
  INFO_UNPARSABLE: 'INFO_UNPARSABLE',
  /** `/ota/confirm` refused. */
  CONFIRM_FAILED: 'CONFIRM_FAILED',
  /** `/ota/reject` or `/ota/rollback` refused: no other bootable app (ESP_ERR_OTA_ROLLBACK_FAILED). */
  ROLLBACK_NOT_POSSIBLE: 'ROLLBACK_NOT_POSSIBLE',
  /** Any other unexpected HTTP status from the device API; retryable when 5xx. */
  DEVICE_HTTP_ERROR: 'DEVICE_HTTP_ERROR',
  /**
   * http_pull: the device accepted the command but never fetched the image from the worker's
   * server (wrong OTA_PULL_PUBLIC_URL, firewall, no route), or reported it could not reach it.
   */
  HTTP_PULL_SOURCE_UNREACHABLE: 'HTTP_PULL_SOURCE_UNREACHABLE',
} as const;
export type OtaErrorCode = (typeof OtaErrorCode)[keyof typeof OtaErrorCode];

/** Default retryability per code; a throw site may override it (DEVICE_HTTP_ERROR on 5xx). */
const RETRYABLE: Record<OtaErrorCode, boolean> = {
  INVALID_INPUT: false,
  AUTH_FAILED: false,
  DEVICE_UNREACHABLE: true,
  NO_CONNECT_BACK: true,
  TRANSFER_STALLED: true,
  NO_RESULT: true,
  DEVICE_BUSY: true,
  IMAGE_REJECTED_MD5: false,
  IMAGE_REJECTED_MAGIC: false,
  NO_SPACE: false,
  ACTIVATION_FAILED: false,
  NO_OTA_PARTITION: false,
  UPDATE_FAILED: false,
  HTTP_UPDATE_ERROR: false,
  ORIGIN_REJECTED: false,
  PROTOCOL_ERROR: false,
  // A fired signal means the task timed out or was cancelled; Conductor decides what is next.
  ABORTED: true,
  INFO_UNPARSABLE: true,
  CONFIRM_FAILED: false,
  ROLLBACK_NOT_POSSIBLE: false,
  DEVICE_HTTP_ERROR: false,
  HTTP_PULL_SOURCE_UNREACHABLE: true,
};

export interface OtaErrorDetails {
  /** Where it failed: 'invite', 'auth', 'connect-back', 'upload', 'result', 'http'. */
  stage?: string;
  /** What the device said, verbatim (Update error string, HTTP body). */
  deviceMessage?: string;
  bytesSent?: number;
  /** How far the device confirmed the transfer (espota byte-count acks). */
  bytesAcked?: number;
  httpStatus?: number;
  [k: string]: unknown;
}

export class OtaError extends Error {
  readonly retryable: boolean;
  constructor(
    readonly code: OtaErrorCode,
    message: string,
    readonly details: OtaErrorDetails = {},
    retryable?: boolean,
  ) {
    super(message);
    this.name = 'OtaError';
    this.retryable = retryable ?? RETRYABLE[code];
  }
}

export function isRetryableOtaCode(code: OtaErrorCode): boolean {
  return RETRYABLE[code];
}

/**
 * The Update library's error strings (arduino-esp32 `Updater.cpp` `_err2str`) that get their own
 * code. "Receive Failed" is ArduinoOTA's own log line, listed for completeness.
 */
const UPDATE_ERRORS: [string, OtaErrorCode][] = [
  ['MD5 Check Failed', OtaErrorCode.IMAGE_REJECTED_MD5],
  ['Wrong Magic Byte', OtaErrorCode.IMAGE_REJECTED_MAGIC],
  ['Not Enough Space', OtaErrorCode.NO_SPACE],
  ['Bad Size Given', OtaErrorCode.NO_SPACE],
  ['Could Not Activate The Firmware', OtaErrorCode.ACTIVATION_FAILED],
  ['Partition Could Not be Found', OtaErrorCode.NO_OTA_PARTITION],
  ['Stream Read Timeout', OtaErrorCode.TRANSFER_STALLED],
  ['Receive Failed', OtaErrorCode.TRANSFER_STALLED],
  ['Aborted', OtaErrorCode.TRANSFER_STALLED],
];

/** Map an Update error string to a code; undefined when it is not one we know. */
export function codeForUpdateError(text: string): OtaErrorCode | undefined {
  const t = text.toLowerCase();
  return UPDATE_ERRORS.find(([s]) => t.includes(s.toLowerCase()))?.[1];
}
