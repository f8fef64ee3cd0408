interface HeapEntry<T> {
  readonly item: T;
  readonly source: number;
}

/**
 * Merges sources that are each sorted by `compare` into one sorted stream, holding one item per
 * source: a binary min-heap of the sources' current heads. Equal items come out in source order.
 */
export async function* mergeSorted<T>(sources: ReadonlyArray<AsyncIterable<T>>, compare: (a: T, b: T) => number): AsyncGenerator<T> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const before = (a: HeapEntry<T>, b: HeapEntry<T>) => {
    const c = compare(a.item, b.item);
    return c < 0 || (c === 0 && a.source < b.source);
  };
  const heap: Array<HeapEntry<T>> = [];
  const siftDown = () => {
    for (let i = 0; ; ) {
      const left = 2 * i + 1;
      let first = i;
      if (left < heap.length && before(heap[left]!, heap[first]!)) first = left;
      if (left + 1 < heap.length && before(heap[left + 1]!, heap[first]!)) first = left + 1;
      if (first === i) return;
      [heap[i], heap[first]] = [heap[first]!, heap[i]!];
      i = first;
    }
  };
  try {
    const heads = await Promise.all(iterators.map((iterator) => iterator.next()));
    heads.forEach((head, source) => {
      if (!head.done) heap.push({ item: head.value, source });
    });
    heap.sort((a, b) => (before(a, b) ? -1 : 1)); // a sorted array is a heap
    while (heap.length > 0) {
      const top = heap[0]!;
      yield top.item;
      const next = await iterators[top.source]!.next();
      if (!next.done) heap[0] = { item: next.value, source: top.source };
      else {
        const last = heap.pop()!;
        if (heap.length === 0) break;
        heap[0] = last;
      }
      siftDown();
    }
  } finally {
    await Promise.all(iterators.map((iterator) => iterator.return?.()));
  }
}

/**
 * Keeps the first `limit` items offered, in `compare` order, in a sorted array: memory is bounded
 * by the limit whatever is offered, and an item after the current last costs one comparison.
 */
export class FirstItems<T> {
  private readonly items: T[] = [];

  constructor(
    private readonly limit: number,
    private readonly compare: (a: T, b: T) => number,
  ) {}

  /** Offers an item; it is kept if it is among the first `limit` seen so far. */
  offer(item: T): void {
    const full = this.items.length >= this.limit;
    if (this.limit <= 0 || (full && this.compare(item, this.items[this.items.length - 1]!) >= 0)) return;
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.compare(this.items[mid]!, item) <= 0) low = mid + 1;
      else high = mid;
    }
    this.items.splice(low, 0, item);
    if (this.items.length > this.limit) this.items.pop();
  }

  /** The kept items, first first. */
  values(): T[] {
    return [...this.items];
  }
}
