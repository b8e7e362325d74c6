// write-file-atomic ships no types; the subset the naive baseline uses.
declare module 'write-file-atomic' {
  interface Options {
    fsync?: boolean;
    mode?: number;
    chown?: { uid: number; gid: number } | false;
    encoding?: BufferEncoding;
  }
  function writeFileAtomic(filename: string, data: string | Buffer, options?: Options): Promise<void>;
  namespace writeFileAtomic {
    function sync(filename: string, data: string | Buffer, options?: Options): void;
  }
  export default writeFileAtomic;
}
