/** A fixed-capacity FIFO that forgets its oldest items once full. */
export class RingBuffer<T> {
  private readonly _items: (T | undefined)[];
  private _start = 0;
  private _size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this._items = new Array(capacity);
  }

  get size(): number {
    return this._size;
  }

  push(item: T): void {
    this._items[(this._start + this._size) % this.capacity] = item;
    if (this._size < this.capacity) this._size++;
    else this._start = (this._start + 1) % this.capacity;
  }

  /** The items, oldest first. */
  toArray(): T[] {
    const out = new Array<T>(this._size);
    for (let i = 0; i < this._size; i++) out[i] = this._items[(this._start + i) % this.capacity] as T;
    return out;
  }

  clear(): void {
    this._items.fill(undefined);
    this._start = 0;
    this._size = 0;
  }
}
