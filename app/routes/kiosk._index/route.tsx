import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { KioskFrame } from "~/components/kiosk/kiosk-frame.tsx";
import { requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { kioskCampaigns } from "~/modules/campaigns/delivery/kiosk/kiosk.server.ts";

export const access = { loader: "use:kiosk" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Kiosk – PKB Desk" }];

/**
 * Where a kiosk device lands after a member of staff signs it in: the campaign it serves. With one
 * kiosk campaign it goes straight there; with several, staff choose once.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, access.loader);
  const campaigns = await kioskCampaigns();
  if (campaigns.length === 1) throw redirect(`/kiosk/${campaigns[0]!.id}`);
  return { campaigns: campaigns.map((campaign) => ({ id: campaign.id, name: campaign.name })) };
}

export default function KioskHome() {
  const { campaigns } = useLoaderData<typeof loader>();
  return (
    <KioskFrame title="Kiosk set-up">
      <h1 className="mb-6 text-3xl font-bold">Choose the campaign this kiosk serves</h1>
      {campaigns.length === 0 ? (
        <p>
          No kiosk campaign is running. A campaign manager can create one with the channel
          &ldquo;Kiosk&rdquo;.
        </p>
      ) : (
        <ul className="space-y-4">
          {campaigns.map((campaign) => (
            <li key={campaign.id}>
              <Link
                to={`/kiosk/${campaign.id}`}
                className="block min-h-16 rounded border-2 border-nhs-blue bg-white px-6 py-4 text-2xl font-bold text-nhs-blue underline"
              >
                {campaign.name}
              </Link>
            </li>
          ))}
        </ul>
      )}
    </KioskFrame>
  );
}
