"""Demo chatbot topics for development (`manage.py seed_demo`)."""

from typing import Any

from customers.models import ChatbotTopic

TOPICS: list[dict[str, Any]] = [
    {
        "key": "emergency",
        "question": ("Akut nödsituation?", "Hätätilanne?", "An emergency?"),
        "answer": (
            "Ring 112. Chatten är inte avsedd för nödsituationer.",
            "Soita 112. Chat ei ole tarkoitettu hätätilanteisiin.",
            "Call 112. The chat is not for emergencies.",
        ),
    },
    {
        "key": "hours",
        "question": ("När är chatten öppen?", "Milloin chat on auki?", "When is the chat open?"),
        "answer": (
            "Varje tjänst har egna öppettider. Du ser dem när du väljer tjänst.",
            "Jokaisella palvelulla on omat aukioloaikansa. Näet ne valitessasi palvelun.",
            "Each service has its own opening hours. You see them when you choose a service.",
        ),
    },
    {
        "key": "identification",
        "question": (
            "Hur identifierar jag mig?",
            "Miten tunnistaudun?",
            "How do I identify myself?",
        ),
        "answer": (
            "Yrkespersonen skickar dig en länk när personlig handledning behövs.",
            "Ammattilainen lähettää sinulle linkin, kun tarvitset henkilökohtaista ohjausta.",
            "The professional sends you a link when you need personal guidance.",
        ),
        "children": [
            {
                "key": "identification-means",
                "question": ("Vad behöver jag?", "Mitä tarvitsen?", "What do I need?"),
                "answer": (
                    "Nätbankskoder eller mobilcertifikat (Suomi.fi-identifikation). Skriv aldrig din personbeteckning i chatten.",
                    "Verkkopankkitunnukset tai mobiilivarmenteen (Suomi.fi-tunnistus). Älä koskaan kirjoita henkilötunnustasi chattiin.",
                    "Online banking codes or a mobile certificate (Suomi.fi e-Identification). Never type your personal identity code in the chat.",
                ),
            }
        ],
    },
]


def _topic(spec: dict, order: int, parent: ChatbotTopic | None) -> ChatbotTopic:
    q, a = spec["question"], spec["answer"]
    topic, _ = ChatbotTopic.objects.update_or_create(
        question_en=q[2],
        parent=parent,
        defaults={
            "ordering": order,
            "question_sv": q[0],
            "question_fi": q[1],
            "answer_sv": a[0],
            "answer_fi": a[1],
            "answer_en": a[2],
        },
    )
    for child_order, child in enumerate(spec.get("children", [])):
        _topic(child, child_order, topic)
    return topic


def seed_topics() -> int:
    for order, spec in enumerate(TOPICS):
        _topic(spec, order, None)
    return ChatbotTopic.objects.count()
