"""Product images in the storefront: served with long-lived caching, shown with srcset and the shopper's alt text,
a placeholder without an image, and the same number of queries however many cards have images."""
from __future__ import annotations

import re

from sqlmodel import select

from shop.images.products import add_image
from shop.images.store import MediaStore
from shop.models import Category, Product, ProductImage
from tests.image_fixtures import image_bytes

from .conftest import product


def give_image(app, session, item: Product, width: int = 2000, height: int = 1500, **alts) -> ProductImage:
    session.expire_all()
    for old in list(item.images):
        item.images.remove(old)
    image = add_image(session, MediaStore(app.config["MEDIA_DIR"]), item, image_bytes(width, height), alts,
                      max_bytes=10**7, max_pixels=10**8)
    session.commit()
    return image


def img_tags(html: str, css_class: str) -> list[str]:
    return [tag for tag in re.findall(r"<img[^>]*>", html) if css_class in tag]


def names(image: ProductImage, *sizes: str) -> list[str]:
    return [v["name"] for size in sizes for v in image.variants if v["size"] == size]


def test_a_card_and_the_product_page_offer_every_size_with_the_alt_in_the_shoppers_language(app, client, db_session):
    shoe = product(db_session, "trail-running-shoe")
    image = give_image(app, db_session, shoe, fi="Punainen juoksukenkä", sv="Röd löparsko")
    card_320, card_640 = names(image, "card-320", "card-640")
    for code, alt in (("fi", "Punainen juoksukenkä"), ("sv", "Röd löparsko"), ("en", "Trail running shoe")):
        (card,) = [tag for tag in img_tags(client.get(f"/{code}/").get_data(as_text=True), "product-image-card")
                   if card_320 in tag]
        assert f'srcset="/media/{card_320} 320w, /media/{card_640} 640w"' in card
        assert 'width="320" height="240"' in card and 'loading="lazy"' in card and f'alt="{alt}"' in card
        (page,) = img_tags(client.get(f"/{code}/p/{shoe.slug}").get_data(as_text=True), "product-image-page")
        page_800, page_1600 = names(image, "page-800", "page-1600")
        assert f'srcset="/media/{page_800} 800w, /media/{page_1600} 1600w"' in page
        assert 'width="800" height="600"' in page and f'alt="{alt}"' in page and "loading" not in page
        assert 'sizes="' in card and 'sizes="' in page


def test_a_small_upload_is_offered_once_at_its_own_width(app, client, db_session):
    shoe = product(db_session, "trail-running-shoe")
    image = give_image(app, db_session, shoe, width=500, height=250)
    (page,) = img_tags(client.get(f"/fi/p/{shoe.slug}").get_data(as_text=True), "product-image-page")
    assert f'srcset="/media/{names(image, "page-800")[0]} 500w"' in page and 'width="500" height="250"' in page


def test_a_product_without_an_image_shows_a_placeholder(client, db_session):
    shoe = product(db_session, "trail-running-shoe")
    db_session.delete(shoe.images[0])
    db_session.commit()
    html = client.get(f"/en/p/{shoe.slug}").get_data(as_text=True)
    assert not img_tags(html, "product-image-page")
    assert 'class="product-image product-image-page image-placeholder" role="img"' in html


def test_the_image_is_served_for_a_year_with_an_etag_and_a_304_when_unchanged(app, client, db_session):
    image = give_image(app, db_session, product(db_session, "rain-jacket"))
    url = f"/media/{image.variants[0]['name']}"
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "image/webp"
    assert response.data.startswith(b"RIFF") and len(response.data) > 100
    cache = response.cache_control
    assert cache.public and cache.max_age == 365 * 24 * 3600 and cache.immutable
    etag = response.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_unknown_media_names_are_not_found(client):
    assert client.get(f"/media/{'0' * 32}.webp").status_code == 404
    assert client.get("/media/..%2Fshop.sqlite3").status_code == 404
    assert client.get("/media/secret_key").status_code == 404


def test_the_content_security_policy_allows_the_shops_own_images(client):
    policy = client.get("/fi/").headers["Content-Security-Policy"]
    assert re.search(r"img-src [^;]*'self'", policy)


def test_cards_with_images_cost_no_query_each(app, client, db_session, query_counter):
    def queries() -> int:
        client.get("/fi/c/outdoor")
        query_counter.reset()
        assert client.get("/fi/c/outdoor").status_code == 200
        return len(query_counter)

    before = queries()
    outdoor = db_session.exec(select(Category).where(Category.slug == "outdoor")).one()
    for number in range(8):
        extra = Product(sku=f"IMG-{number}", slug=f"pictured-{number}", name=f"Pictured {number}", price=1000,
                        stock=5, category_id=outdoor.id)
        db_session.add(extra)
        db_session.commit()
        give_image(app, db_session, extra, width=400, height=300, fi=f"Kuva {number}")
    html = client.get("/fi/c/outdoor").get_data(as_text=True)
    assert len(img_tags(html, "product-image-card")) >= 15
    assert queries() == before
