import { describe, expect, it } from "vitest";
import { csvChunks, csvDownload } from "./csv-download.server.ts";

async function* numbers(count: number, finished: { value: boolean }) {
  try {
    for (let index = 1; index <= count; index++) {
      yield { n: index, note: index === 2 ? "=SUM(A1)" : "ok" };
    }
  } finally {
    finished.value = true;
  }
}

describe("streamed CSV downloads", () => {
  it("stream the header then rows in batches, formula-safe, with no-store", async () => {
    const finished = { value: false };
    const response = csvDownload(
      "numbers.csv",
      csvChunks(["n", "note"], numbers(5, finished), (row) => [row.n, row.note], 2),
      "test export",
    );
    expect(response.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("Content-Disposition")).toBe('attachment; filename="numbers.csv"');
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(await response.text()).toBe("n,note\r\n1,ok\r\n2,'=SUM(A1)\r\n3,ok\r\n4,ok\r\n5,ok\r\n");
    expect(finished.value).toBe(true);
  });

  it("an empty source still downloads as a table with its header", async () => {
    const response = csvDownload(
      "empty.csv",
      csvChunks(["n"], numbers(0, { value: false }), (row) => [row.n]),
      "test export",
    );
    expect(await response.text()).toBe("n\r\n");
  });

  it("a download the browser abandons releases its source", async () => {
    const finished = { value: false };
    const response = csvDownload(
      "many.csv",
      csvChunks(["n"], numbers(10_000, finished), (row) => [row.n], 10),
      "test export",
    );
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(finished.value).toBe(true);
  });
});
