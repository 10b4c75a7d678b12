// Prints, as a JSON array, the byte size of each WebAssembly module compiled while kestra-wasm
// is imported. Watching the compiler rather than looking for a `.wasm` file measures the
// shipped module whether the package holds it as a file or embeds its bytes in JavaScript.
const sizes = [];
const record = (source) => {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    sizes.push(source.byteLength);
  }
};

const { Module, compile, instantiate } = WebAssembly;
WebAssembly.Module = class extends Module {
  constructor(bytes) {
    record(bytes);
    super(bytes);
  }
};
WebAssembly.compile = (bytes) => {
  record(bytes);
  return compile(bytes);
};
WebAssembly.instantiate = (source, imports) => {
  record(source);
  return instantiate(source, imports);
};

await import('kestra-wasm');
// Loading may finish after the import when the package instantiates asynchronously.
await new Promise((resolve) => setTimeout(resolve, 0));
console.log(JSON.stringify(sizes));
