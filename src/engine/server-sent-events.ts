/**
 * Reads a text/event-stream body and yields each event's data (multi-line data joined with "\n"). Comments,
 * event names and ids are skipped: OpenAI-style streams carry everything in `data:`.
 */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
    const decoder = new TextDecoder();
    let buffer = "";
    let data: string[] = [];
    const reader = body.getReader();
    try {
        while (true) {
            const {done, value} = await reader.read();
            buffer += done ? decoder.decode() : decoder.decode(value, {stream: true});
            let newline: number;
            while ((newline = buffer.search(/\r?\n/)) >= 0) {
                const line = buffer.slice(0, newline);
                buffer = buffer.slice(newline + (buffer[newline] === "\r" ? 2 : 1));
                if (line === "") {
                    if (data.length > 0) yield data.join("\n");
                    data = [];
                } else if (line.startsWith("data:")) data.push(line.slice(line[5] === " " ? 6 : 5));
            }
            if (done) {
                if (buffer.startsWith("data:")) data.push(buffer.slice(buffer[5] === " " ? 6 : 5));
                if (data.length > 0) yield data.join("\n");
                return;
            }
        }
    } finally {
        // Stops the download when the reader leaves early (a stop string, an abort).
        await reader.cancel().catch(() => undefined);
    }
}
