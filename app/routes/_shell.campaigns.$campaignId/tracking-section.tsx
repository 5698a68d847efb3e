import { Form } from "@remix-run/react";
import { Button } from "~/components/ui/button.tsx";
import { ConfirmButton } from "~/components/ui/confirm-button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { TextField } from "~/components/ui/field.tsx";
import { Panel } from "~/components/ui/page-heading.tsx";
import { HeaderRow, Th } from "~/components/ui/table.tsx";

/** What the loader sends for the Tracking section (see trackingView in tracking/view.server.ts). */
export interface TrackingView {
  registered: number;
  awaitingRegistration: number;
  expired: number;
  latestRound: number;
  lastRun: { when: string; checked: number; registered: number; error: string | null } | null;
  hybridMail: {
    postAfterHours: number;
    sent: number;
    pending: number;
    accepted: number;
    rejected: number;
    read: number;
    unreadPastDeadline: number;
    posted: number;
    postageAvoided: number;
    lastReadCheck: string | null;
  } | null;
}

function Count({ label, value, testId }: { label: string; value: number; testId: string }) {
  return (
    <tr className="border-b border-nhs-pale-grey">
      <th scope="row" className="py-2 pr-4 font-normal">
        {label}
      </th>
      <td className="py-2 pr-4 text-right tabular-nums" data-testid={testId}>
        {value.toLocaleString("en-GB")}
      </td>
    </tr>
  );
}

/** A heading row over one group of a table's rows. */
function GroupRow({ label }: { label: string }) {
  return (
    <tr>
      <th scope="rowgroup" colSpan={2} className="pb-1 pt-4 text-sm font-bold text-nhs-dark-grey">
        {label}
      </th>
    </tr>
  );
}

export function TrackingSection({
  campaignId,
  view,
  canManage,
}: {
  campaignId: string;
  view: TrackingView;
  canManage: boolean;
}) {
  const action = `/campaigns/${campaignId}/tracking`;
  const mail = view.hybridMail;
  return (
    <Panel>
      <h2 id="tracking" className="mb-2 text-xl font-bold">
        Tracking
      </h2>
      <p className="mb-4 text-nhs-dark-grey" data-testid="tracking-last-run">
        {view.lastRun
          ? `Registrations last checked with PKB ${view.lastRun.when}: ${view.lastRun.checked.toLocaleString("en-GB")} patients asked, ${view.lastRun.registered.toLocaleString("en-GB")} newly registered.`
          : "Registrations have not been checked with PKB yet. They are checked every hour."}
      </p>
      {view.lastRun?.error ? (
        <p className="mb-4 font-bold text-nhs-red" role="alert">
          The last check stopped early: {view.lastRun.error} It will be tried again.
        </p>
      ) : null}
      <table className="mb-4 w-full max-w-xl text-left">
        <caption className="sr-only">Invited patients by registration</caption>
        <HeaderRow>
          <Th>Registration</Th>
          <Th numeric>Patients</Th>
        </HeaderRow>
        <tbody>
          <Count label="Registered with PKB" value={view.registered} testId="tracking-registered" />
          <Count
            label="Not registered yet, code still valid"
            value={view.awaitingRegistration - view.expired}
            testId="tracking-waiting"
          />
          <Count label="Code expired" value={view.expired} testId="tracking-expired" />
        </tbody>
      </table>
      {view.latestRound > 1 ? (
        <p className="mb-4">Latest invitation round: {view.latestRound}.</p>
      ) : null}
      {canManage ? (
        <div className="mb-6 flex flex-wrap gap-3">
          <Form method="post" action={action}>
            <CsrfInput />
            <input type="hidden" name="intent" value="track-now" />
            <Button type="submit" variant="secondary">
              Check registrations now
            </Button>
          </Form>
          {view.expired > 0 ? (
            <Form method="post" action={action}>
              <CsrfInput />
              <input type="hidden" name="intent" value="reinvite-expired" />
              <input type="hidden" name="expected" value={view.expired} />
              <ConfirmButton
                type="submit"
                confirmLabel={`Get new codes for ${view.expired.toLocaleString("en-GB")} patients?`}
              >
                Re-invite {view.expired.toLocaleString("en-GB")} with expired codes
              </ConfirmButton>
            </Form>
          ) : null}
        </div>
      ) : null}

      <h3 className="mb-2 text-lg font-bold">Hybrid mail</h3>
      {mail ? (
        <>
          <p className="mb-4 text-nhs-dark-grey" data-testid="hybrid-intro">
            Letters go to PKB first; those still unread {mail.postAfterHours} hours after sending
            are posted.
            {mail.lastReadCheck ? ` Read receipts last checked ${mail.lastReadCheck}.` : ""}
          </p>
          <table className="mb-4 w-full max-w-xl text-left">
            <caption className="sr-only">Hybrid-mail letters by what happened to them</caption>
            <HeaderRow>
              <Th>Letter</Th>
              <Th numeric>Letters</Th>
            </HeaderRow>
            <tbody>
              <GroupRow label="Sending to PKB" />
              <Count label="Sent to PKB" value={mail.sent} testId="hybrid-sent" />
              <Count
                label="Waiting for PKB's answer"
                value={mail.pending}
                testId="hybrid-pending"
              />
              <Count label="Accepted by PKB" value={mail.accepted} testId="hybrid-accepted" />
              <Count label="Refused by PKB" value={mail.rejected} testId="hybrid-rejected" />
            </tbody>
            <tbody>
              <GroupRow label="Read online or posted" />
              <Count label="Read online" value={mail.read} testId="hybrid-read" />
              <Count
                label={`Unread after ${mail.postAfterHours} hours, to post`}
                value={mail.unreadPastDeadline}
                testId="hybrid-due"
              />
              <Count label="Put on a post list" value={mail.posted} testId="hybrid-posted" />
              <Count
                label="Postage avoided (read in time)"
                value={mail.postageAvoided}
                testId="hybrid-avoided"
              />
            </tbody>
          </table>
          {canManage ? (
            <div className="flex flex-wrap items-end gap-3">
              <Form method="post" action={action}>
                <CsrfInput />
                <input type="hidden" name="intent" value="send-hybrid-mail" />
                <Button type="submit">Send letters to PKB</Button>
              </Form>
              {mail.unreadPastDeadline > 0 ? (
                <Form
                  method="post"
                  action={`/campaigns/${campaignId}/hybrid-mail/post-list.csv`}
                  reloadDocument
                >
                  <CsrfInput />
                  <Button type="submit" variant="secondary">
                    Download the post list ({mail.unreadPastDeadline.toLocaleString("en-GB")}{" "}
                    letters)
                  </Button>
                </Form>
              ) : null}
            </div>
          ) : null}
        </>
      ) : canManage ? (
        <Form method="post" action={action} className="max-w-xl">
          <CsrfInput />
          <input type="hidden" name="intent" value="hybrid-mail-settings" />
          <p className="mb-2">
            Send this campaign&apos;s letters through PKB&apos;s hybrid mail: each goes to the
            patient&apos;s PKB record, and only those unread after the hours below are posted.
          </p>
          <TextField
            id="postAfterHours"
            name="postAfterHours"
            label="Hours before an unread letter is posted"
            inputMode="numeric"
            defaultValue="72"
          />
          <Button type="submit" className="mt-3">
            Use hybrid mail
          </Button>
        </Form>
      ) : (
        <p>This campaign does not use hybrid mail.</p>
      )}
    </Panel>
  );
}
