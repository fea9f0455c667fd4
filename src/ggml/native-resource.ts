import {DisposedError} from "../util/disposed-error.js";

const leaks = new FinalizationRegistry<string>((what) => {
    process.emitWarning(`${what} was garbage-collected without dispose(); its native memory leaked until exit`, {code: "PRISM_GGML_LEAK"});
});

/**
 * A native ggml handle owned by exactly one object. `dispose()` is idempotent, disposes the children first (a
 * parent holds them only weakly), then frees the handle; every method checks `disposed` first.
 */
export abstract class NativeResource {
    private isDisposed = false;
    private readonly children = new Set<WeakRef<NativeResource>>();

    protected constructor(private readonly what: string, parent?: NativeResource) {
        parent?.ensureAlive();
        parent?.children.add(new WeakRef(this));
        leaks.register(this, what, this);
    }

    get disposed(): boolean {
        return this.isDisposed;
    }

    dispose(): void {
        if (this.isDisposed) return;
        for (const ref of [...this.children].reverse()) ref.deref()?.dispose();
        this.children.clear();
        this.isDisposed = true;
        leaks.unregister(this);
        this.free();
    }

    [Symbol.dispose](): void {
        this.dispose();
    }

    protected ensureAlive(): void {
        if (this.isDisposed) throw new DisposedError(this.what);
    }

    /** Releases the native handle; called once. */
    protected abstract free(): void;
}
