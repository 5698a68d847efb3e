/**
 * H6 (quality.md): a grant PKB no longer accepts means requests silently stop arriving, so every
 * page says so to the people who can act — administrators get the link to re-grant, team leads
 * are told to ask one (they may not manage the grant).
 */
export interface GrantBannerData {
  canManage: boolean;
  grants: Array<{ connectionId: string; label: string }>;
}

export function GrantBanner({ banner }: { banner: GrantBannerData | null }) {
  if (!banner || banner.grants.length === 0) return null;
  return (
    <section
      aria-labelledby="grant-banner-title"
      className="border-b-4 border-nhs-red bg-nhs-warm-yellow text-nhs-black"
      data-testid="grant-banner"
    >
      <div className="mx-auto max-w-6xl px-4 py-4">
        <h2 id="grant-banner-title" className="text-lg font-bold">
          PKB access needs renewing: appointment requests are not arriving
        </h2>
        <ul className="mt-1">
          {banner.grants.map((grant) => (
            <li key={grant.connectionId}>
              PKB stopped accepting the clinician&apos;s grant for <strong>{grant.label}</strong>.{" "}
              {banner.canManage ? (
                <a href={`/admin/pkb/${grant.connectionId}`} className="font-bold text-nhs-black">
                  Grant access again for {grant.label}
                </a>
              ) : (
                <>Ask an administrator to grant access again.</>
              )}
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}
