/**
 * Two OTA app slots and their otadata state, as ESP-IDF's bootloader sees them with app
 * rollback enabled (reference/worker-domain.md §2.3). No I/O, no time: the simulator decides
 * when resets happen; this decides what boots.
 *
 * Slot states:
 *   empty           nothing flashed
 *   new             written by an update and selected (esp_ota_set_boot_partition); boots once
 *   pending_verify  booted from `new`; the app must confirm before the next reset
 *   valid           confirmed (esp_ota_mark_app_valid_cancel_rollback) or the initial image
 *   invalid         rejected by the app (esp_ota_mark_app_invalid_rollback_and_reboot); never boots
 *   aborted         was pending_verify at a reset, so the bootloader gave up on it; never boots
 */
import { createHash } from 'node:crypto';
import type { AppDesc } from '../../workers/lib/firmware/esp-image';

export type SlotState = 'empty' | 'new' | 'pending_verify' | 'valid' | 'invalid' | 'aborted';

/** Behaviour that belongs to a flashed image (a bad build), so a rollback leaves it behind. */
export interface ImageFlaws {
  /** Resets before it can be confirmed, every boot. */
  crashOnBoot: boolean;
  /** Boots, but /health answers 503. */
  unhealthy: boolean;
}

export interface Slot {
  partition: 'ota_0' | 'ota_1';
  image: Buffer | null;
  md5: string;
  sha256: string;
  desc: AppDesc | null;
  state: SlotState;
  flaws: ImageFlaws;
}

const NO_FLAWS: ImageFlaws = { crashOnBoot: false, unhealthy: false };

export class Flash {
  readonly slots: [Slot, Slot];
  /** The slot executing now. */
  running = 0;
  /** The slot otadata selects for the next boot. */
  private selected = 0;
  /** The last image the device gave up on (for /info `last_invalid`). */
  lastInvalid: AppDesc | null = null;

  constructor(initial: Buffer, desc: AppDesc) {
    this.slots = [slot('ota_0', initial, desc, 'valid', NO_FLAWS), slot('ota_1', null, null, 'empty', NO_FLAWS)];
  }

  get runningSlot(): Slot {
    return this.slots[this.running];
  }

  get otherSlot(): Slot {
    return this.slots[1 - this.running];
  }

  /** An image that could run: flashed, and not given up on. */
  isBootable(s: Slot): boolean {
    return s.image !== null && s.state !== 'invalid' && s.state !== 'aborted' && s.state !== 'empty';
  }

  /** Update.end(): write the passive slot and select it for the next boot. */
  install(image: Buffer, desc: AppDesc, flaws: ImageFlaws): void {
    const i = 1 - this.running;
    this.slots[i] = slot(this.slots[i].partition, image, desc, 'new', flaws);
    this.selected = i;
  }

  /**
   * The bootloader after a reset. A selected image still pending_verify was never confirmed:
   * it becomes aborted and the other slot boots. Returns whether that rollback happened.
   */
  boot(): { rolledBack: boolean; from?: AppDesc } {
    let i = this.selected;
    let rolledBack = false;
    let from: AppDesc | undefined;
    const s = this.slots[i];
    if (s.state === 'pending_verify') {
      s.state = 'aborted';
      this.lastInvalid = s.desc;
      from = s.desc ?? undefined;
      rolledBack = true;
    }
    if (!this.isBootable(this.slots[i]) && this.isBootable(this.slots[1 - i])) i = 1 - i;
    if (this.slots[i].state === 'new') this.slots[i].state = 'pending_verify';
    this.selected = i;
    this.running = i;
    return { rolledBack, from };
  }

  /** esp_ota_mark_app_valid_cancel_rollback(); false when there was nothing pending. */
  markValid(): boolean {
    const s = this.runningSlot;
    if (s.state !== 'pending_verify') return false;
    s.state = 'valid';
    return true;
  }

  /**
   * esp_ota_mark_app_invalid_rollback_and_reboot() without the reboot: fails (the IDF's
   * ESP_ERR_OTA_ROLLBACK_FAILED) when the other slot cannot boot.
   */
  markInvalid(): boolean {
    if (!this.isBootable(this.otherSlot)) return false;
    this.runningSlot.state = 'invalid';
    this.lastInvalid = this.runningSlot.desc;
    this.selected = 1 - this.running;
    return true;
  }

  /**
   * Update.rollBack(): select the other slot. esp_ota_set_boot_partition marks it `new` again
   * (rollback enabled), so the old image boots pending_verify and needs a confirm of its own.
   */
  rollBack(): boolean {
    const other = this.otherSlot;
    if (!this.isBootable(other)) return false;
    other.state = 'new';
    this.selected = 1 - this.running;
    return true;
  }
}

function slot(partition: Slot['partition'], image: Buffer | null, desc: AppDesc | null, state: SlotState, flaws: ImageFlaws): Slot {
  return {
    partition,
    image,
    desc,
    state,
    flaws: { ...flaws },
    md5: image ? createHash('md5').update(image).digest('hex') : '',
    sha256: image ? createHash('sha256').update(image).digest('hex') : '',
  };
}
