"""SQLModel tables. Import from here: `from shop.models import Order`."""
from sqlmodel import SQLModel

from .attention import LINK_CHANNELS, PaymentHold, PaymentLink, StaffAlert
from .base import utcnow
from .catalog import Category, Product, ShippingMethod
from .images import ProductImage, ProductImageText
from .orders import (
    LINE_KINDS, ORDER_STATUSES, Cart, CartItem, Order, OrderEvent, OrderLine, Shipment, ShipmentLine, new_token,
)
from .outbox import OUTBOX_STATUSES, OutboxMessage
from .price_lists import VersionProductPrice, VersionShippingPrice
from .payments import PROVIDERS, KlarnaCall, Payment, PaymentEvent, PaymentMethod, PaymentMethodVersion
from .returns import Return, ReturnLine
from .texts import CategoryText, LocalText, PaymentMethodText, ProductText, ShippingMethodText
from .users import User
from .versions import TAX_CLASSES, ShopVersion, VatRate
from . import latest_payment  # noqa: F401  (keeps Order.latest_payment_id current)

metadata = SQLModel.metadata

__all__ = [
    "Cart", "CartItem", "Category", "KlarnaCall", "LINE_KINDS", "ORDER_STATUSES", "Order", "OrderEvent",
    "OrderLine", "OUTBOX_STATUSES", "OutboxMessage", "PROVIDERS", "Payment", "PaymentEvent", "PaymentMethod",
    "PaymentMethodVersion", "Product",
    "Return", "ReturnLine",
    "Shipment", "ShipmentLine", "ShippingMethod", "ShopVersion", "TAX_CLASSES", "User", "VatRate", "metadata",
    "new_token", "utcnow",
]
__all__ += ["CategoryText", "LocalText", "PaymentMethodText", "ProductText", "ShippingMethodText"]
__all__ += ["VersionProductPrice", "VersionShippingPrice"]
__all__ += ["ProductImage", "ProductImageText"]
__all__ += ["LINK_CHANNELS", "PaymentHold", "PaymentLink", "StaffAlert"]
