/** One counter per name of a closed list, as the IPC stats and /metrics carry them. */
export type Counts<K extends readonly string[]> = { [P in K[number]]: number };

/** A fresh counter set for `keys`, every one at 0. */
export function zeros<K extends readonly string[]>(keys: K): Counts<K> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Counts<K>;
}
