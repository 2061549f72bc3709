import { type Store, StoreUnavailableError } from '../store/store.js';

/** The same store, counting every operation that failed because the store was unreachable. */
export function instrumentStore(store: Store, onUnavailable: () => void): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result instanceof Promise) {
          return result.catch((error: unknown) => {
            if (error instanceof StoreUnavailableError) onUnavailable();
            throw error;
          });
        }
        return result;
      };
    },
  });
}
