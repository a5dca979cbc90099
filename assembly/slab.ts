// Record allocator. Records are small (a counter is 32 B) and numerous, so they come from
// per-size-class free lists carved out of 1 MiB chunks: no per-record allocator header, and a
// freed record is reused by the next of its class. Records above SLAB_MAX go to the TLSF heap
// with an 8-byte prefix holding their capacity.

@inline const GRANULE: u32 = 8;
/** Largest record served from the slabs. */
@inline export const SLAB_MAX: u32 = 256;
@inline const CLASSES: u32 = SLAB_MAX / GRANULE + 1;
@inline const CHUNK: u32 = 1 << 20;
/** Class byte of a record that lives in the TLSF heap. */
@inline export const BIG_CLASS: u8 = 0;

// u32[CLASSES]: class → head of its free list (0 = empty); a free block's first u32 links the next
let freeHeads: usize = 0;
let bump: usize = 0;
let bumpEnd: usize = 0;

export function slabInit(): void {
  if (freeHeads == 0) freeHeads = heap.alloc(CLASSES * 4);
  memory.fill(freeHeads, 0, CLASSES * 4);
}

/** Size class (1..CLASSES-1) for `size` bytes, or BIG_CLASS. */
@inline export function classOf(size: u32): u8 {
  return size <= SLAB_MAX ? <u8>((size + GRANULE - 1) / GRANULE) : BIG_CLASS;
}

/** Usable bytes of a slab class. */
@inline export function classBytes(cls: u8): u32 {
  return <u32>cls * GRANULE;
}

/** Allocates `size` bytes; returns an 8-aligned pointer. `cls` must be classOf(size). */
export function slabAlloc(cls: u8, size: u32): usize {
  if (cls == BIG_CLASS) {
    const block = heap.alloc(<usize>size + 8);
    store<u32>(block, size);
    return block + 8;
  }
  const headAt = freeHeads + (<usize>cls << 2);
  const head = <usize>load<u32>(headAt);
  if (head != 0) {
    store<u32>(headAt, load<u32>(head));
    return head;
  }
  const bytes = classBytes(cls);
  if (bump + bytes > bumpEnd) {
    bump = heap.alloc(CHUNK);
    bumpEnd = bump + CHUNK;
  }
  const p = bump;
  bump += bytes;
  return p;
}

export function slabFree(ptr: usize, cls: u8): void {
  if (cls == BIG_CLASS) {
    heap.free(ptr - 8);
    return;
  }
  const headAt = freeHeads + (<usize>cls << 2);
  store<u32>(ptr, load<u32>(headAt));
  store<u32>(headAt, <u32>ptr);
}

/** Capacity of an allocated record. */
@inline export function capacityOf(ptr: usize, cls: u8): u32 {
  return cls == BIG_CLASS ? load<u32>(ptr - 8) : classBytes(cls);
}
