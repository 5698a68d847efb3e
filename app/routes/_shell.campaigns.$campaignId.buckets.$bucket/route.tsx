import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { HeaderRow, Th } from "~/components/ui/table.tsx";
import { notFound, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { BUCKET_LABELS, BUCKET_SLUGS } from "~/modules/campaigns/eligibility/bucket.ts";
import { bucketFromSlug, bucketPage } from "~/modules/campaigns/eligibility/bucket-list.server.ts";
import { prisma } from "~/platform/db.server.ts";

export const access = { loader: "read:campaign" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Eligibility bucket – PKB Desk" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, access.loader);
  const id = z.uuid().safeParse(params.campaignId);
  const bucket = bucketFromSlug(params.bucket ?? "");
  if (!id.success || !bucket) throw notFound();
  const campaign = await (
    await prisma()
  ).campaign.findUnique({
    where: { id: id.data },
    select: { id: true, name: true },
  });
  if (!campaign) throw notFound();
  const page = await bucketPage(campaign.id, bucket);
  return { campaign, label: BUCKET_LABELS[bucket], slug: BUCKET_SLUGS[bucket], ...page };
}

export default function BucketPage() {
  const { campaign, label, slug, count, shown } = useLoaderData<typeof loader>();
  return (
    <>
      <p className="mb-4">
        <Link to={`/campaigns/${campaign.id}`}>Back to {campaign.name}</Link>
      </p>
      <PageHeading
        title={label}
        lede={`${count.toLocaleString("en-GB")} patients in ${campaign.name}.`}
        actions={
          <a href={`/campaigns/${campaign.id}/buckets/${slug}/list.csv`} download>
            Download the list (CSV)
          </a>
        }
      />
      <Panel>
        {shown.length === 0 ? (
          <p>No patients.</p>
        ) : (
          <table className="w-full text-left">
            <caption className="sr-only">
              {label}: the first {shown.length} patients, in list order
            </caption>
            <HeaderRow>
              <Th>Identifier</Th>
              <Th>Name</Th>
              <Th numeric>Row in the list</Th>
            </HeaderRow>
            <tbody>
              {shown.map((row) => (
                <tr key={row.id} className="border-b border-nhs-pale-grey">
                  <td className="py-2 pr-4 font-mono">{row.maskedId}</td>
                  <td className="py-2 pr-4">{row.name}</td>
                  <td className="py-2 pr-4 text-right tabular-nums">{row.sourceRow}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {count > shown.length ? (
          <p className="mt-4">
            Showing the first {shown.length}; download the list for all of them.
          </p>
        ) : null}
      </Panel>
    </>
  );
}
