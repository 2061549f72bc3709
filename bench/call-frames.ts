/** A V8 call frame, as CPU profiles and heap-sampling profiles give it. */
export interface CallFrame {
  functionName: string;
  url: string;
  /** 0-based, as V8 gives it. */
  lineNumber: number;
}

/**
 * The package a frame's code belongs to: the npm package under node_modules, "qrid" for this
 * checkout's dist/, "node" for node's own modules, and for V8's and native functions (no URL)
 * their name in parentheses ("(garbage collector)", "(writeUtf8String)").
 */
export function packageOf({ url, functionName }: CallFrame): string {
  if (url.includes('node_modules/')) {
    const rest = url.split('node_modules/').pop() ?? '';
    return rest.split('/').slice(0, rest.startsWith('@') ? 2 : 1).join('/');
  }
  if (url.includes('/dist/')) return 'qrid';
  if (url.startsWith('node:')) return 'node';
  if (url) return url;
  return functionName.startsWith('(') ? functionName : `(${functionName || 'anonymous'})`;
}

/** "name file:line", the file shortened to its package path or `dist/…`, the line 1-based. */
export function functionOf({ url, functionName, lineNumber }: CallFrame): string {
  return `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${lineNumber + 1}`;
}
