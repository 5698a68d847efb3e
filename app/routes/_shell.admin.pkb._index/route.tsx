import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { GrantStatusTag } from "~/components/pkb/grant-status.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { HeaderRow, Th } from "~/components/ui/table.tsx";
import { requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { listConnections } from "~/modules/pkb/connections.server.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";

export const access = { loader: "manage:pkb-grant" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "PKB connection – PKB Desk" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, access.loader);
  const connections = await listConnections();
  return {
    connections: connections.map((connection) => ({
      id: connection.id,
      label: connection.label,
      webBaseUrl: connection.webBaseUrl,
      grantStatus: connection.grant?.status ?? null,
      grantedBy: connection.grant?.grantedByLabel ?? null,
      grantedAt: connection.grant ? formatUkDateTime(connection.grant.grantedAt) : null,
    })),
  };
}

export default function PkbConnections() {
  const { connections } = useLoaderData<typeof loader>();
  return (
    <>
      <PageHeading
        title="PKB connection"
        lede="Where PKB is, the portal's credentials there, and the clinician's grant that lets the portal read patients' requests."
        actions={
          <Link
            to="/admin/pkb/new"
            className="rounded bg-nhs-green px-4 py-2 font-bold text-white no-underline shadow-[0_4px_0_#00401e] hover:bg-[#00662f] hover:text-white"
          >
            Add a PKB organisation
          </Link>
        }
      />
      <Panel>
        {connections.length === 0 ? (
          <p>No PKB organisation is set up yet. Add one to let a clinician grant access.</p>
        ) : (
          <table className="w-full text-left">
            <caption className="sr-only">PKB organisations</caption>
            <HeaderRow>
              <Th>Organisation</Th>
              <Th>PKB address</Th>
              <Th>Clinician grant</Th>
            </HeaderRow>
            <tbody>
              {connections.map((connection) => (
                <tr key={connection.id} className="border-b border-nhs-pale-grey">
                  <td className="py-2 pr-4">
                    <Link to={`/admin/pkb/${connection.id}`}>{connection.label}</Link>
                  </td>
                  <td className="py-2 pr-4 break-all">{connection.webBaseUrl}</td>
                  <td className="py-2 pr-4">
                    <GrantStatusTag status={connection.grantStatus} />
                    {connection.grantedBy ? (
                      <span className="ml-2 text-nhs-dark-grey">
                        by {connection.grantedBy}, {connection.grantedAt}
                      </span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
    </>
  );
}
