"""The Teams activity handler: who is speaking, one effect per activity, dialogs for messages,
card buttons for Action.Execute invokes, and a welcome once per conversation.

It also keeps the 1:1 chats the bot has with billing admins (any activity from an admin in a
personal conversation: a message, a button, installing the bot personally), where alerts go when
no conversation of the tenant is subscribed (bot/delivery.py). Cheap on the hot path: what was
recorded is remembered in-process, and the store is written only when a chat is new or changed;
an install always writes (the bot may be back in a chat a 403 made the dispatcher forget)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import structlog
from botbuilder.core import (
    ActivityHandler,
    ConversationState,
    InvokeResponse,
    Storage,
    TurnContext,
)
from botbuilder.dialogs import DialogExtensions
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount

from bot.edge import CARD_ACTION
from bot.host_store import HostStore
from bot.settings import Settings
from bot.storage import EtagConflict, SqlStorage
from cards import outcome_card, welcome_card
from credits.i18n import t
from credits.service import CreditsService
from dialogs.actions import CardActions, CardSigner
from dialogs.caller import Caller, get_caller, set_caller, tenant_of
from dialogs.card_data import parse_invoke
from dialogs.language import turn_lang
from dialogs.main import MainDialog, alert_reference, card_message

log = structlog.get_logger(__name__)
LOCAL_TENANT = "local"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
PERSONAL = "personal"
MAX_REMEMBERED_CHATS = 10_000
INSTALLS = (ActivityTypes.installation_update, ActivityTypes.conversation_update)


class CreditsBot(ActivityHandler):
    def __init__(
        self,
        service: CreditsService,
        storage: Storage,
        settings: Settings,
        host: HostStore,
        signer: CardSigner | None = None,
    ) -> None:
        self.service = service
        self.settings = settings
        self.host = host
        self.storage = storage
        self.conversation_state = ConversationState(storage)
        self.dialog_state = self.conversation_state.create_property("DialogState")
        self._signer = signer
        self._dialog: MainDialog | None = None
        self._chats: set[tuple[str, ...]] = set()  # admins' 1:1 chats kept already

    async def _actions(self) -> CardActions:
        if self._dialog is None:
            signer = self._signer or CardSigner(
                bytes.fromhex(await self.host.deployment_secret("card-signing"))
            )
            self._dialog = MainDialog(CardActions(self.service, signer))
        return self._dialog.actions

    async def on_turn(self, turn_context: TurnContext) -> None:
        try:
            await self._turn(turn_context)
        finally:
            SqlStorage.prefetch(None)  # what this turn did not read is not kept for another

    async def _turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        once = activity.type in (ActivityTypes.message, ActivityTypes.invoke) and activity.id
        if once and not await self._first_delivery(turn_context):
            return
        caller = await self._caller(turn_context)
        if caller is None:
            if activity.type == ActivityTypes.message:
                await turn_context.send_activity(
                    t("I work inside a Microsoft 365 organisation; I could not tell which one.")
                )
            return
        set_caller(turn_context, caller)
        await self._remember_chat(turn_context, caller)
        await self._actions()
        try:
            await super().on_turn(turn_context)
        except Exception:
            # a flow that failed must not be resumed next turn: start over instead
            await self._forget_flow(turn_context)
            await self._save(turn_context)
            raise
        await self._save(turn_context)

    async def _first_delivery(self, turn_context: TurnContext) -> bool:
        """Whether the activity is new (one effect per activity), its conversation's state read
        in the same transaction when the storage is ours."""
        activity = turn_context.activity
        conversation = activity.conversation.id if activity.conversation else ""
        key = f"{activity.channel_id}:{conversation}:{activity.id}"
        storage = self.storage
        if isinstance(storage, SqlStorage):
            keys = [self.conversation_state.get_storage_key(turn_context)]
            first, state = await self.host.first_delivery_then(
                key, lambda conn: storage.documents(conn, keys)
            )
            SqlStorage.prefetch(state)
        else:
            first = await self.host.first_delivery(key)
        if first:
            return True
        log.info("activity delivered again; ignored", key=key)
        if activity.type == ActivityTypes.invoke:
            await _send_invoke_response(
                turn_context,
                outcome_card(t("Already done"), t("This was handled already.")),
            )
        return False

    async def _forget_flow(self, turn_context: TurnContext) -> None:
        await self.conversation_state.load(turn_context)
        if await self.dialog_state.get(turn_context) is not None:
            await self.dialog_state.delete(turn_context)

    async def _save(self, turn_context: TurnContext) -> None:
        try:
            await self.conversation_state.save_changes(turn_context)
        except EtagConflict:
            # two turns of one conversation at once: the other turn's flow state wins
            log.warning("conversation state changed by a concurrent turn; not saved")

    async def _caller(self, turn_context: TurnContext) -> Caller | None:
        activity = turn_context.activity
        tenant = tenant_of(activity)
        if tenant is None and self.settings.local_mode:
            tenant = LOCAL_TENANT
        if tenant is None:
            return None
        sender = activity.from_property or ChannelAccount(id="", name="")
        aad = getattr(sender, "aad_object_id", None) or (
            sender.id if self.settings.local_mode else ""
        )
        name = sender.name or aad or "someone"
        if self.settings.local_mode and not self.settings.credits.admins:
            admin = True  # a newcomer trying it locally may do everything
        else:
            admin = bool(aad) and await self.service.is_admin(tenant, aad)
        return Caller(tenant, aad or "", name, admin)

    async def _remember_chat(self, turn_context: TurnContext, caller: Caller) -> None:
        """An admin's 1:1 chat with the bot: kept for alerts when no conversation is subscribed
        (only for admins of the store: in local mode without CREDITS_ADMINS nobody is one)."""
        activity = turn_context.activity
        conversation = activity.conversation
        if (
            conversation is None
            or conversation.conversation_type != PERSONAL
            or not caller.is_admin
            or not caller.aad_object_id
            or (self.settings.local_mode and not self.settings.credits.admins)
            or not (activity.service_url or "").startswith(("https://", "http://"))
        ):  # (the terminal chat has no connector to post to)
            return
        conversation_id, reference = subscription_reference(activity)
        key = (
            caller.tenant_id,
            caller.aad_object_id,
            conversation_id,
            activity.service_url or "",
            str(reference.get("locale")),  # the admin now speaks another language: kept again
        )
        if key in self._chats and activity.type not in INSTALLS:
            return
        try:
            written = await self.service.remember_personal_chat(
                caller.tenant_id, caller.aad_object_id, conversation_id, reference, caller.name
            )
        except Exception:  # the turn goes on: the chat is kept on a later turn
            log.exception("could not keep an admin's 1:1 chat for alerts")
            return
        if written:
            log.info("admin's 1:1 chat kept for alerts", aad_object_id=caller.aad_object_id)
        if len(self._chats) >= MAX_REMEMBERED_CHATS:
            self._chats.clear()
        self._chats.add(key)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if activity.text:
            # the edge (bot/edge.py) saw to what this reads: a recipient with an id, and only
            # mention entities with a mentioned id and a text
            activity.text = TurnContext.remove_recipient_mention(activity).strip()
        assert self._dialog is not None
        state = await self.dialog_state.get(turn_context)
        if not getattr(state, "dialog_stack", None) and await self._dialog.answer(turn_context):
            return  # no flow open, and none started: the dialog stack is not entered
        await DialogExtensions.run_dialog(self._dialog, turn_context, self.dialog_state)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        activity = turn_context.activity
        if activity.name != CARD_ACTION:
            # not through POST /api/messages: bot/edge.py refuses an invoke without a name, or
            # with another name, with a 400 (botbuilder would answer 501 with no body, or fail)
            return await super().on_invoke_activity(turn_context)
        press = parse_invoke(activity.value)  # checked once, here, before any handler sees it
        await self._forget_flow(turn_context)  # a button supersedes any open flow
        actions = await self._actions()
        result = await actions.handle(get_caller(turn_context), press)
        assert self._dialog is not None
        # a confirm card replacing the pressed one: a cancel typed next voids it
        await self._dialog.wait_on(turn_context, self.dialog_state, result.card)
        # answered here with a plain dict: 4.17.1's on_adaptive_card_invoke serialises it twice
        return _card_response(result.card)

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        if members_added:  # the bot installed in a team, or someone opening a chat with it
            await self._welcome(turn_context)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._welcome(turn_context)

    async def _welcome(self, turn_context: TurnContext) -> None:
        conversation = turn_context.activity.conversation
        key = (
            f"welcome:{turn_context.activity.channel_id}:{conversation.id if conversation else ''}"
        )
        if not await self.host.first_delivery(key):
            return  # the Playground resends install events on every page load
        caller = get_caller(turn_context)
        await turn_context.send_activity(card_message(welcome_card(caller.is_admin)))
        activity = turn_context.activity
        in_team = isinstance(activity.channel_data, dict) and bool(
            activity.channel_data.get("team")
        )
        if in_team and not await self.service.list_subscriptions(caller.tenant_id):
            # the first team the bot joins gets the alerts until an admin says otherwise
            conversation_id, reference = subscription_reference(activity)
            await self.service.subscribe(
                caller.tenant_id, conversation_id, reference, caller.actor, automatic=True
            )
            await turn_context.send_activity(
                t('I\'ll post balance alerts in this channel. Say "stop alerts here" to stop them.')
            )


def subscription_reference(activity: Activity) -> tuple[str, dict[str, Any]]:
    """Where alerts go (dialogs/main.py `alert_reference`), with the language of ``activity``
    (the install event, the admin's message) as the reference's `locale`: alerts posted there
    later are written in it (bot/delivery.py)."""
    conversation_id, reference = alert_reference(activity)
    reference["locale"] = turn_lang(activity).tag
    return conversation_id, reference


def _card_response(card: dict[str, Any]) -> InvokeResponse:
    body = {"statusCode": 200, "type": ADAPTIVE_CARD, "value": card}
    return InvokeResponse(status=int(HTTPStatus.OK), body=body)


async def _send_invoke_response(turn_context: TurnContext, card: dict[str, Any]) -> None:
    await turn_context.send_activity(
        Activity(type=ActivityTypes.invoke_response, value=_card_response(card))
    )
