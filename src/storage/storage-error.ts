/**
 * The one error a checkpoint file reader throws. Recovery falls back to an older checkpoint on any of
 * them, so callers branch on `reason` (e.g. to count corruption separately from version skew) rather
 * than on error classes.
 */

/** What was wrong with a file; stable strings so logs and tests can match on them. */
export type StorageFormatReason =
  | 'truncated' // fewer bytes than the header says, or than a header needs
  | 'magic' // not a weir checkpoint file at all
  | 'version' // written by a weir with another container format
  | 'kind' // a valid file of another kind (or an unknown kind)
  | 'header' // a header field that cannot be valid (e.g. a non-zero reserved byte)
  | 'codec' // codec id this weir does not know
  | 'length' // stored or decompressed length disagrees with the header
  | 'checksum' // a CRC32 mismatch: bit rot or a torn write
  | 'payload'; // the codec rejected the stored bytes

/**
 * A checkpoint file failed validation. The message names the problem; `path` is set when the file
 * was read through {@link readContainerFile} so the operator can find the bad file.
 */
export class StorageFormatError extends Error {
  constructor(
    readonly reason: StorageFormatReason,
    message: string,
    readonly path?: string,
  ) {
    super(path === undefined ? message : `${path}: ${message}`);
    this.name = 'StorageFormatError';
  }

  /** The same error attributed to a file, so a message from a byte-level check names where it came from. */
  withPath(path: string): StorageFormatError {
    if (this.path !== undefined) return this;
    return new StorageFormatError(this.reason, this.message, path);
  }
}
