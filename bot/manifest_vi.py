"""The Vietnamese file of the Teams app package (`vi.json`, Teams' localization file schema).

Teams shows an app's name, descriptions and command lists in the Teams client's language when
the package names a file for it (`localizationInfo` of the manifest, bot/manifest.py). The
command titles come back as the message when a person picks one, so each Vietnamese title is a
phrasing the bot's Vietnamese intent parser understands (tests/test_vi_manifest.py parses them).
Pure data: the package is built by bot/manifest.py.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGE_TAG = "vi"
FILE = "vi.json"

# the app's default short name ("Credits"), in Vietnamese; a name the admin chose stays as it is
DEFAULT_SHORT_NAME = "Tín dụng Liên lạc"
# the full name with the default short name (FULL_NAME would repeat "Tín dụng Liên lạc")
DEFAULT_FULL_NAME = "Tín dụng Liên lạc Teams: số dư, nạp tiền, cảnh báo"
FULL_NAME = "{name} - Tín dụng Liên lạc Teams"
SHORT_DESCRIPTION = "Xem số dư và nạp tiền vào Tín dụng Liên lạc Teams của tổ chức bạn."
FULL_DESCRIPTION = (
    "Ứng dụng {name} giúp người quản trị thanh toán quản lý Tín dụng Liên lạc trả trước (dùng "
    "để thanh toán cuộc gọi Teams và Hội thảo Âm thanh) ngay trong cuộc trò chuyện. Hỏi số dư "
    'để biết còn lại bao nhiêu, tốc độ sử dụng và khi nào sẽ hết. Nói "nạp 50 đô" để nạp '
    "thêm: bạn chỉ bị tính phí sau khi bấm Xác nhận trên thẻ mà bot gửi lại. Bật tự động nạp "
    'tiền ("tự động nạp 100 đô khi số dư dưới 20 đô") để cuộc gọi không bao giờ bị gián đoạn, '
    'hoặc tắt đi. Xem lịch sử mọi lần nạp tiền, tự động nạp và phí sử dụng. Nói "gửi cảnh báo '
    'vào đây" trong một kênh hoặc cuộc trò chuyện để nhận tại đó các cảnh báo về số dư thấp, '
    'tự động nạp tiền và thanh toán bị từ chối, và "dừng cảnh báo ở đây" để dừng. Nói "trợ '
    'giúp" bất cứ lúc nào để xem bot có thể làm gì.'
)

# English command title (bot/manifest.py COMMANDS) -> (title, description in a personal chat,
# description in a channel or group chat; "" = the personal one)
COMMANDS: Mapping[str, tuple[str, str, str]] = {
    "balance": ("xem số dư", "Xem số dư, trạng thái tự động nạp tiền và số dư đủ dùng bao lâu", ""),
    "add $50 credits": (
        "nạp 50 đô",
        "Nạp tiền; bạn xác nhận trên thẻ trước khi bị tính phí",
        "",
    ),
    "set auto-recharge $100 below $20": (
        "tự động nạp 100 đô dưới 20 đô",
        "Tự động nạp một số tiền mỗi khi số dư giảm xuống dưới mức kích hoạt",
        "",
    ),
    "turn off auto-recharge": ("tắt tự động nạp tiền", "Dừng tự động nạp tiền", ""),
    "history": (
        "xem lịch sử giao dịch",
        "Các lần nạp tiền, tự động nạp và phí sử dụng gần đây, mới nhất trước",
        "",
    ),
    "top callers": (
        "người gọi nhiều nhất",
        "Chi tiêu tháng này và 7 ngày qua theo người gọi và nơi gọi đến",
        "",
    ),
    "connect usage": (
        "kết nối dữ liệu sử dụng",
        "Cho phép bot đọc cuộc gọi từ Microsoft 365 để số dư theo sát mức sử dụng",
        "",
    ),
    "send alerts here": (
        "gửi cảnh báo vào đây",
        "Nhận cảnh báo về số dư thấp và các lần tự động nạp tiền trong cuộc trò chuyện này",
        "Gửi cảnh báo về số dư thấp và các lần tự động nạp tiền vào kênh hoặc cuộc trò chuyện "
        "nhóm này",
    ),
    "stop alerts here": (
        "dừng cảnh báo ở đây",
        "Dừng gửi cảnh báo vào cuộc trò chuyện này",
        "Dừng gửi cảnh báo vào kênh hoặc cuộc trò chuyện nhóm này",
    ),
    "help": ("trợ giúp", "Bot có thể làm gì và cách nói với bot", ""),
}
