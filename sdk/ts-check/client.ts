// A typed Engage client from openapi/openapi.json: openapi-typescript generates `engage.d.ts`,
// openapi-fetch calls the API. `tsc --strict` must accept this file: success bodies and the
// problem documents of errors are typed (an error's `type` and `status` without a cast).
import createClient from "openapi-fetch";
import type { components, paths } from "./engage";

type Problem = components["schemas"]["Problem"];

export function engage(baseUrl: string, token: string) {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
}

function describe(problem: Problem): string {
  const fields = (problem.errors ?? []).map((e) => `${e.field}: ${e.code}`).join(", ");
  return `${problem.status} ${problem.type}${fields ? ` (${fields})` : ""}`;
}

export async function newLeads(client: ReturnType<typeof engage>): Promise<string[]> {
  const { data, error } = await client.GET("/api/v1/leads", {
    params: { query: { status: ["new", "working"], limit: 20 } },
  });
  if (error) {
    const status: number = error.status;
    const type: string = error.type;
    throw new Error(`${describe(error)} ${status} ${type}`);
  }
  return data.items.map((lead) => `${lead.email} (${lead.status})`);
}

export async function importLeads(client: ReturnType<typeof engage>): Promise<number> {
  const { data, error } = await client.POST("/api/v1/leads/batch", {
    params: { header: { "Idempotency-Key": "import-2027-02-10" } },
    body: {
      items: [{ email: "sam.ortiz@contoso.com", company: "Contoso" }],
      on_duplicate: "merge",
    },
  });
  if (error) {
    if (error.type === "/problems/payload-too-large") return 0;
    throw new Error(describe(error));
  }
  return data.counts.created + data.counts.merged;
}

export async function quarterRollup(client: ReturnType<typeof engage>): Promise<string> {
  const { data, error } = await client.GET("/api/v1/forecasts/rollup", {
    params: { query: { period: "FY2027-Q1" } },
  });
  if (error) {
    return `roll-up refused: ${error.status} ${error.type} ${error.detail}`;
  }
  return `${data.period}: ${JSON.stringify(data.figures)}`;
}
