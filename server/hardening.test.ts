import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findUnstorable, unstorableCharacter } from "../app/platform/hostile-input.ts";
import { noStoreByDefault, refuseHostileUrls } from "./hardening.ts";

/** The transport defences on a real Express server over real HTTP (the routes stand in). */
let base = "";
let close: () => void = () => {};
beforeAll(async () => {
  const app = express();
  app.use(noStoreByDefault);
  app.use(refuseHostileUrls);
  app.get("/cached", (_req, res) => {
    res.set("Cache-Control", "public, max-age=60").send("ok");
  });
  app.get("/refused", (_req, res) => {
    res.status(403).send("Forbidden");
  });
  app.get(/.*/, (req, res) => {
    res.send(`reached ${req.path}`);
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
afterAll(() => close());

describe("hostile URLs", () => {
  it("refuses a NUL byte in a query parameter with a 400 naming the parameter", async () => {
    const response = await fetch(`${base}/admin/audit?action=login%00&page=1`);
    expect(response.status).toBe(400);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(await response.text()).toMatch(/NUL \(zero\) character in its “action” part/);
  });

  it("refuses a NUL byte in a parameter's name and in the path", async () => {
    expect((await fetch(`${base}/requests?te%00am=1`)).status).toBe(400);
    const inPath = await fetch(`${base}/admin/users/%00abc`);
    expect(inPath.status).toBe(400);
    expect(await inPath.text()).toMatch(/NUL/);
  });

  it("refuses broken percent-encoding in the path", async () => {
    expect((await fetch(`${base}/admin/users/%E0%A4%A`)).status).toBe(400);
  });

  it("answers legacy ?_data= requests with 400, whatever the value", async () => {
    for (const query of ["_data=", "_data=routes%2Flogin", "_data=root&x=1"]) {
      const response = await fetch(`${base}/login?${query}`);
      expect(response.status, query).toBe(400);
    }
  });

  it("lets ordinary addresses through, including non-ASCII text", async () => {
    const response = await fetch(`${base}/admin/audit?q=${encodeURIComponent("Zoë 😀 Ó")}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("reached /admin/audit");
  });
});

describe("Cache-Control", () => {
  it("is no-store on any reply that did not choose its own, 4xx included", async () => {
    const refused = await fetch(`${base}/refused`);
    expect(refused.status).toBe(403);
    expect(refused.headers.get("Cache-Control")).toBe("no-store");
    expect((await fetch(`${base}/cached`)).headers.get("Cache-Control")).toBe("public, max-age=60");
  });
});

describe("unstorable characters", () => {
  it.each([
    ["a\u0000b", /NUL/],
    ["lone high \uD83D here", /broken character/],
    ["lone low \uDE00 here", /broken character/],
  ])("finds them in %j", (value, message) => {
    expect(unstorableCharacter(value)).toMatch(message);
  });

  it("accepts whole emoji and ordinary text", () => {
    expect(unstorableCharacter("Zoë 😀 \u200b tab\tnewline\n")).toBeNull();
  });

  it("names the first field that holds one, ignoring files", () => {
    const form = new FormData();
    form.append("name", "fine");
    form.append("file", new Blob(["\u0000"]), "x.csv");
    form.append("description", "bad\u0000");
    expect(findUnstorable(form.entries())).toEqual({
      name: "description",
      problem: expect.stringMatching(/NUL/),
    });
  });
});
