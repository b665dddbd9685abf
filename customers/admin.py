from django.contrib import admin

from customers.models import ChatbotTopic


class ChildTopicInline(admin.StackedInline):
    model = ChatbotTopic
    fk_name = "parent"
    extra = 0


@admin.register(ChatbotTopic)
class ChatbotTopicAdmin(admin.ModelAdmin):
    list_display = ["question_sv", "question_fi", "question_en", "parent", "ordering", "is_active"]
    list_filter = ["is_active", ("parent", admin.EmptyFieldListFilter)]
    list_editable = ["ordering", "is_active"]
    search_fields = ["question_sv", "question_fi", "question_en"]
    inlines = [ChildTopicInline]
