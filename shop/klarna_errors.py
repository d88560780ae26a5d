"""The payment layer's failure types that views may catch, without importing the Klarna client."""
from shop.klarna import KlarnaError
from shop.payments.common import ProviderError

KLARNA_ERRORS = (KlarnaError, ProviderError)
