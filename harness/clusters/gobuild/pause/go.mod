module todo-chatbot/pause

go 1.25.0
