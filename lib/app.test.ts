import { describe, expect, test } from "bun:test";
import { App, HttpError, json } from "./app.ts";
import { requestData } from "./http.ts";

const app = new App()
  .get("/items/:id", ({ params, query }) => json({ id: params.id, sort: query.sort ?? null }))
  .post("/items", ({ body }) => json({ created: body }, 201))
  .delete("/items/:id", () => "deleted")
  .get("/teapot", () => {
    throw new HttpError(418, "I'm a teapot");
  })
  .get("/bug", () => {
    throw new TypeError("cannot read x of undefined");
  })
  .get("/later", async () => "awaited");

describe("App", () => {
  test("captures path parameters and the query", async () => {
    const response = await app.handle(requestData("/items/42?sort=asc"));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ id: "42", sort: "asc" });
  });

  test("decodes percent-encoded parameters", async () => {
    const response = await app.handle(requestData("/items/a%20b"));
    expect(JSON.parse(response.body).id).toBe("a b");
  });

  test("a path that cannot be decoded is a 400, not an exception", async () => {
    const response = await app.handle(requestData("/items/%E0%A4%A"));
    expect(response.status).toBe(400);
    expect(response.body).toContain("malformed");
  });

  test("a string result is a 200 text/plain", async () => {
    const response = await app.handle(requestData("/items/1", { method: "DELETE" }));
    expect(response).toMatchObject({ status: 200, body: "deleted" });
    expect(response.headers["content-type"]).toContain("text/plain");
  });

  test("handlers may be async", async () => {
    expect((await app.handle(requestData("/later"))).body).toBe("awaited");
  });

  test("a handler chooses its status", async () => {
    const response = await app.handle(requestData("/items", { method: "POST", body: "x" }));
    expect(response.status).toBe(201);
  });

  test("a parameter takes one whole, non-empty part of the path", async () => {
    expect((await app.handle(requestData("/items/"))).status).toBe(404);
    expect((await app.handle(requestData("/items/42/x"))).status).toBe(404);
    expect((await app.handle(requestData("/items/42/"))).status).toBe(404);
    expect((await app.handle(requestData("/Items/42"))).status).toBe(404);
  });

  test("a route in a syntax the App does not match is refused when it is added, naming it", () => {
    expect(() => new App().get("/files/*", () => "")).toThrow('route "/files/*"');
    expect(() => new App().get("items/:id", () => "")).toThrow("literal parts and :name parameters");
  });

  test("unknown path: 404", async () => {
    expect((await app.handle(requestData("/nothing"))).status).toBe(404);
  });

  test("known path, wrong method: 405 with every allowed method", async () => {
    const response = await app.handle(requestData("/items/1", { method: "PUT" }));
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe("GET, DELETE");
  });

  test("HttpError sets the status and the message", async () => {
    expect(await app.handle(requestData("/teapot"))).toMatchObject({ status: 418, body: "I'm a teapot" });
  });

  test("any other error is a 500 that keeps the error, with its stack, as data", async () => {
    const response = await app.handle(requestData("/bug"));
    expect(response.status).toBe(500);
    expect(response.body).toContain("cannot read x of undefined");
    expect(response.error?.stack).toContain("app.test.ts");
    // The error is plain data: it survives structured cloning, as it must to cross threads.
    expect(structuredClone(response)).toEqual(response);
  });
});
