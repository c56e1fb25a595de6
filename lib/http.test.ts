import { expect, test } from "bun:test";
import { requestData, toRequestData, toResponse } from "./http.ts";

test("toRequestData keeps method, path, query, headers and body as plain data", async () => {
  const request = new Request("http://localhost/echo/x?a=1&b=2", {
    method: "POST",
    headers: { "X-Thing": "yes" },
    body: "hello",
  });
  const data = await toRequestData(request);
  expect(data).toMatchObject({ method: "POST", path: "/echo/x", query: { a: "1", b: "2" }, body: "hello" });
  expect(data.headers["x-thing"]).toBe("yes");
  expect(structuredClone(data)).toEqual(data);
});

test("a GET has an empty body", async () => {
  expect((await toRequestData(new Request("http://localhost/"))).body).toBe("");
});

test("toResponse keeps status, headers and body", async () => {
  const response = toResponse({ status: 404, headers: { "x-a": "b" }, body: "nope" });
  expect(response.status).toBe(404);
  expect(response.headers.get("x-a")).toBe("b");
  expect(await response.text()).toBe("nope");
});

test("requestData builds a request from a path", () => {
  expect(requestData("/fibonacci/3?x=1")).toEqual({ method: "GET", path: "/fibonacci/3", query: { x: "1" }, headers: {}, body: "" });
});
