import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { SETTINGS } from '../../config/settings.ts';
import { ModelRejected } from './model-rejected.ts';

/** The size bound when none is configured: the schema's default, so it is stated once. */
export const DEFAULT_MODEL_MAX_BYTES = Number(SETTINGS.modelMaxBytes.default);
const SETTING = SETTINGS.modelMaxBytes.env;

/**
 * Why a file of `bytes` may not be loaded, or undefined when it may. Checked
 * from `stat` before any read: a model is read whole (ONNX Runtime takes a
 * buffer), so a stray 1.5 GB file would otherwise cost 1.5 GB of memory and
 * stall the stream while it is read.
 */
export function oversizeReason(file: string, bytes: number, maxBytes: number): string | undefined {
  if (bytes <= maxBytes) return undefined;
  return `${file} is ${bytes} bytes (${formatBytes(bytes)}), above ${SETTING} (${maxBytes} bytes); not read`;
}

/** The setting that bounds model files, for log lines. */
export const MODEL_MAX_BYTES_SETTING = SETTING;

/**
 * Reads a model file, never more than `maxBytes`: the size is checked again on
 * the open handle, so a file swapped or grown after the registry's `stat`
 * is still refused, and exactly the bytes stat reported are read.
 */
export async function readModelFile(path: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const tooLarge = oversizeReason(basename(path), size, maxBytes);
    if (tooLarge) throw new ModelRejected(tooLarge);
    const bytes = Buffer.alloc(size);
    let offset = 0;
    while (offset < size) {
      const { bytesRead } = await handle.read(bytes, offset, size - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return bytes.subarray(0, offset);
  } finally {
    await handle.close();
  }
}

function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}
