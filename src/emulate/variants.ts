/**
 * The emulator behaviour matrix: TouchDesigner behaviours the docs leave open, as emulator variants
 * (src/emulate/python/tdemu/variants.py says which page leaves each open). Tests run the generated scripts
 * under `default`, each key flipped alone, and every key at its harder value (`all_adverse`).
 * test/emulate/variants.test.ts keeps this in step with variants.py.
 */
export type VariantValue = boolean | string;

export interface VariantEntry {
  name: string;
  variants: Record<string, VariantValue>;
}

export const VARIANT_MATRIX: VariantEntry[] = [
  { name: 'default', variants: {} },
  { name: 'failed_connect_disconnect', variants: { failed_connect_disconnect: true } },
  { name: 'no_deactivate_disconnect', variants: { deactivate_disconnect: false } },
  { name: 'module_separate', variants: { module: 'separate' } },
  { name: 'recompile_in_place', variants: { recompile: 'in_place' } },
  { name: 'timeline_paused', variants: { timeline: 'paused' } },
  { name: 'abstime_pauses', variants: { abstime_pauses: true } },
  { name: 'no_frame_start_when_paused', variants: { frame_start_when_paused: false } },
  { name: 'no_dock', variants: { create_docks_callbacks: false } },
  { name: 'no_partial_replace', variants: { replace_row_partial: false } },
  { name: 'no_storage_recook', variants: { storage_recook: false } },
  { name: 'no_webserver_stop_closes', variants: { webserver_stop_closes: false } },
  { name: 'no_webserver_close_callback', variants: { webserver_close_callback: false } },
  { name: 'binary_contents_bytearray', variants: { binary_contents: 'bytearray' } },
  {
    name: 'all_adverse',
    variants: {
      failed_connect_disconnect: false,
      deactivate_disconnect: false,
      module: 'separate',
      recompile: 'in_place',
      timeline: 'paused',
      abstime_pauses: true,
      frame_start_when_paused: false,
      create_docks_callbacks: false,
      replace_row_partial: false,
      storage_recook: false,
      webserver_stop_closes: false,
      webserver_close_callback: false,
      binary_contents: 'memoryview',
    },
  },
];
